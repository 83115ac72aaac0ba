CREATE TYPE "public"."ticket_category" AS ENUM('sign_in', 'refill', 'billing', 'appointment', 'other');--> statement-breakpoint
CREATE TYPE "public"."ticket_channel" AS ENUM('web', 'sms', 'email');--> statement-breakpoint
CREATE TYPE "public"."ticket_priority" AS ENUM('low', 'normal', 'high', 'urgent');--> statement-breakpoint
CREATE TYPE "public"."ticket_status" AS ENUM('open', 'waiting_on_patient', 'solved', 'closed', 'merged');--> statement-breakpoint
CREATE TABLE "routing_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"position" integer NOT NULL,
	"name" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"conditions" jsonb NOT NULL,
	"actions" jsonb NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sla_policies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"category" "ticket_category",
	"priority" "ticket_priority",
	"calendar" text NOT NULL,
	"first_response_minutes" integer NOT NULL,
	"resolution_minutes" integer NOT NULL,
	"escalate_at_fraction" real,
	"breach_actions" text[] DEFAULT '{}'::text[] NOT NULL
);
--> statement-breakpoint
CREATE TABLE "support_agents" (
	"staff_id" uuid PRIMARY KEY NOT NULL,
	"available" boolean DEFAULT false NOT NULL,
	"capacity" integer DEFAULT 8 NOT NULL,
	"queues" text[] DEFAULT '{}'::text[] NOT NULL,
	"open_count" integer DEFAULT 0 NOT NULL,
	"last_assigned_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "support_queues" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"clinical" boolean DEFAULT false NOT NULL,
	"position" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ticket_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"ticket_id" uuid NOT NULL,
	"author_type" text NOT NULL,
	"staff_id" uuid,
	"kind" text NOT NULL,
	"channel" text NOT NULL,
	"body_encrypted" text NOT NULL,
	"inbound_message_id" uuid,
	"email_message_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"number" integer GENERATED ALWAYS AS IDENTITY (sequence name "tickets_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1001 CACHE 1),
	"patient_id" uuid,
	"channel" "ticket_channel" NOT NULL,
	"contact_encrypted" text,
	"contact_key" text,
	"locale" text DEFAULT 'en' NOT NULL,
	"category" "ticket_category" NOT NULL,
	"subtype" text,
	"status" "ticket_status" DEFAULT 'open' NOT NULL,
	"priority" "ticket_priority" DEFAULT 'normal' NOT NULL,
	"queue_id" text NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"safety_flag" boolean DEFAULT false NOT NULL,
	"safety_kinds" text[] DEFAULT '{}'::text[] NOT NULL,
	"rule_id" uuid,
	"patient_state_at_intake" text,
	"cohort_id" uuid,
	"assignee_id" uuid,
	"assigned_at" timestamp with time zone,
	"sla_policy_id" uuid,
	"first_response_due_at" timestamp with time zone,
	"first_responded_at" timestamp with time zone,
	"resolution_due_at" timestamp with time zone,
	"escalate_at" timestamp with time zone,
	"escalated_at" timestamp with time zone,
	"first_response_breached_at" timestamp with time zone,
	"resolution_breached_at" timestamp with time zone,
	"sla_paused_at" timestamp with time zone,
	"merged_into_id" uuid,
	"last_patient_message_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_staff_reply_at" timestamp with time zone,
	"solved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "routing_rules" ADD CONSTRAINT "routing_rules_updated_by_staff_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."staff"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_agents" ADD CONSTRAINT "support_agents_staff_id_staff_id_fk" FOREIGN KEY ("staff_id") REFERENCES "public"."staff"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_messages" ADD CONSTRAINT "ticket_messages_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_messages" ADD CONSTRAINT "ticket_messages_staff_id_staff_id_fk" FOREIGN KEY ("staff_id") REFERENCES "public"."staff"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_messages" ADD CONSTRAINT "ticket_messages_inbound_message_id_inbound_messages_id_fk" FOREIGN KEY ("inbound_message_id") REFERENCES "public"."inbound_messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_patient_id_patients_id_fk" FOREIGN KEY ("patient_id") REFERENCES "public"."patients"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_queue_id_support_queues_id_fk" FOREIGN KEY ("queue_id") REFERENCES "public"."support_queues"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_cohort_id_cohorts_id_fk" FOREIGN KEY ("cohort_id") REFERENCES "public"."cohorts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_assignee_id_staff_id_fk" FOREIGN KEY ("assignee_id") REFERENCES "public"."staff"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "routing_rules_position_key" ON "routing_rules" USING btree ("position");--> statement-breakpoint
CREATE INDEX "ticket_messages_ticket_idx" ON "ticket_messages" USING btree ("ticket_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ticket_messages_email_key" ON "ticket_messages" USING btree ("email_message_id") WHERE "ticket_messages"."email_message_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "tickets_number_key" ON "tickets" USING btree ("number");--> statement-breakpoint
CREATE INDEX "tickets_queue_open_idx" ON "tickets" USING btree ("queue_id","priority" DESC NULLS LAST,"created_at") WHERE "tickets"."status" in ('open', 'waiting_on_patient');--> statement-breakpoint
CREATE INDEX "tickets_unassigned_idx" ON "tickets" USING btree ("queue_id","priority" DESC NULLS LAST,"created_at") WHERE "tickets"."assignee_id" is null and "tickets"."status" = 'open';--> statement-breakpoint
CREATE INDEX "tickets_assignee_idx" ON "tickets" USING btree ("assignee_id","status") WHERE "tickets"."assignee_id" is not null;--> statement-breakpoint
CREATE INDEX "tickets_patient_idx" ON "tickets" USING btree ("patient_id","status");--> statement-breakpoint
CREATE INDEX "tickets_contact_idx" ON "tickets" USING btree ("contact_key","status");--> statement-breakpoint
CREATE INDEX "tickets_created_idx" ON "tickets" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "tickets_sla_idx" ON "tickets" USING btree ("first_response_due_at") WHERE "tickets"."status" in ('open', 'waiting_on_patient');--> statement-breakpoint
-- Each agent's count of open tickets, kept with every assignment, reassignment and status change, so
-- capacity is checked in the same conditional update that assigns.
CREATE OR REPLACE FUNCTION tickets_agent_load() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  was_active boolean := TG_OP = 'UPDATE' AND OLD.assignee_id IS NOT NULL
    AND OLD.status IN ('open', 'waiting_on_patient');
  is_active boolean := NEW.assignee_id IS NOT NULL AND NEW.status IN ('open', 'waiting_on_patient');
BEGIN
  IF was_active AND (NOT is_active OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id) THEN
    UPDATE support_agents SET open_count = open_count - 1 WHERE staff_id = OLD.assignee_id;
  END IF;
  IF is_active AND (NOT was_active OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id) THEN
    UPDATE support_agents SET open_count = open_count + 1 WHERE staff_id = NEW.assignee_id;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER tickets_agent_load
  AFTER INSERT OR UPDATE OF assignee_id, status ON tickets
  FOR EACH ROW EXECUTE FUNCTION tickets_agent_load();
--> statement-breakpoint
-- The queues, rules and SLA policies a support desk starts with (staff edit the rules in the console).
INSERT INTO support_queues (id, name, clinical, position) VALUES
  ('clinical', 'Clinical (refills, safety)', true, 1),
  ('sign_in', 'Sign-in: not yet through the portal', false, 2),
  ('sign_in_bridged', 'Sign-in: already through the portal', false, 3),
  ('billing', 'Billing', false, 4),
  ('appointments', 'Appointments', false, 5),
  ('general', 'General', false, 6);
--> statement-breakpoint
INSERT INTO routing_rules (position, name, conditions, actions) VALUES
  (10, 'Refills go to the clinical team', '{"categories":["refill"]}',
    '{"queue":"clinical","priority":"high","tags":["refill"]}'),
  (20, 'Sign-in trouble after signing in here before', '{"categories":["sign_in"],"patientStates":["bridged","active"]}',
    '{"queue":"sign_in_bridged","tags":["sign_in","bridged"]}'),
  (30, 'Sign-in trouble in a cohort that has cut over', '{"categories":["sign_in"],"cohortPhases":["cut_over"]}',
    '{"queue":"sign_in","priority":"high","tags":["sign_in","cutover"]}'),
  (40, 'Sign-in trouble, not yet through the portal', '{"categories":["sign_in"]}',
    '{"queue":"sign_in","tags":["sign_in"]}'),
  (50, 'Texts and emails about medicines', '{"channels":["sms","email"],"words":["refill","prescription","pharmacy","medication","medicine","receta","medicina","medicamento","farmacia"]}',
    '{"queue":"clinical","priority":"high","tags":["maybe_refill"]}'),
  (60, 'Billing questions', '{"categories":["billing"]}', '{"queue":"billing","tags":["billing"]}'),
  (70, 'Appointments', '{"categories":["appointment"]}', '{"queue":"appointments","tags":["appointment"]}');
--> statement-breakpoint
INSERT INTO sla_policies (name, category, priority, calendar, first_response_minutes, resolution_minutes, escalate_at_fraction, breach_actions) VALUES
  ('Urgent, around the clock', NULL, 'urgent', 'always', 15, 240, 0.5, '{notify_supervisor,reassign}'),
  ('Urgent refills, around the clock', 'refill', 'urgent', 'always', 15, 240, 0.5, '{notify_supervisor,reassign}'),
  ('Refills, around the clock', 'refill', NULL, 'always', 240, 1440, 0.5, '{raise_priority,notify_supervisor,reassign}'),
  ('High priority', NULL, 'high', 'business', 120, 960, NULL, '{raise_priority,notify_supervisor}'),
  ('Everything else', NULL, NULL, 'business', 480, 2880, NULL, '{raise_priority,notify_supervisor}');
