CREATE TYPE "public"."delivery_state" AS ENUM('pending', 'claimed', 'sending', 'sent', 'delivered', 'failed', 'skipped', 'unknown');--> statement-breakpoint
CREATE TYPE "public"."wave_stage" AS ENUM('announcement', 'reminder', 'day_before', 'cutover_day', 'nudge', 'last_call');--> statement-breakpoint
CREATE TYPE "public"."wave_state" AS ENUM('draft', 'scheduled', 'sending', 'paused', 'done', 'cancelled');--> statement-breakpoint
CREATE TABLE "channel_pacing" (
	"channel" "outbox_channel" PRIMARY KEY NOT NULL,
	"next_at" timestamp with time zone NOT NULL,
	"stats" jsonb
);
--> statement-breakpoint
CREATE TABLE "sign_in_tallies" (
	"minute" timestamp with time zone NOT NULL,
	"outcome" text NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "sign_in_tallies_minute_outcome_pk" PRIMARY KEY("minute","outcome")
);
--> statement-breakpoint
CREATE TABLE "suppressions" (
	"channel" "outbox_channel" NOT NULL,
	"address" text NOT NULL,
	"reason" text NOT NULL,
	"scope" text NOT NULL,
	"delivery_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "suppressions_channel_address_pk" PRIMARY KEY("channel","address")
);
--> statement-breakpoint
CREATE TABLE "wave_deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "wave_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"wave_id" uuid NOT NULL,
	"patient_id" uuid NOT NULL,
	"channel" "outbox_channel" NOT NULL,
	"state" "delivery_state" DEFAULT 'pending' NOT NULL,
	"send_at" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"claim_token" uuid,
	"claimed_at" timestamp with time zone,
	"provider_message_id" text,
	"provider_status" text,
	"reason" text,
	"locale" text,
	"sent_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"opened_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "waves" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"cohort_id" uuid NOT NULL,
	"name" text NOT NULL,
	"stage" "wave_stage" NOT NULL,
	"channels" text[] NOT NULL,
	"timing" text NOT NULL,
	"offset_days" integer,
	"local_time" text,
	"send_at" timestamp with time zone,
	"state" "wave_state" DEFAULT 'draft' NOT NULL,
	"paused_reason" text,
	"paused_at" timestamp with time zone,
	"created_by" uuid,
	"approved_by" uuid,
	"approved_at" timestamp with time zone,
	"audience_count" integer,
	"projected_finish_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inbound_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"channel" "outbox_channel" NOT NULL,
	"provider_message_id" text NOT NULL,
	"from_address" text NOT NULL,
	"patient_id" uuid,
	"handled_as" text NOT NULL,
	"body_encrypted" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"taken_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "wave_deliveries" ADD CONSTRAINT "wave_deliveries_wave_id_waves_id_fk" FOREIGN KEY ("wave_id") REFERENCES "public"."waves"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "wave_deliveries" ADD CONSTRAINT "wave_deliveries_patient_id_patients_id_fk" FOREIGN KEY ("patient_id") REFERENCES "public"."patients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "waves" ADD CONSTRAINT "waves_cohort_id_cohorts_id_fk" FOREIGN KEY ("cohort_id") REFERENCES "public"."cohorts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "waves" ADD CONSTRAINT "waves_created_by_staff_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."staff"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "waves" ADD CONSTRAINT "waves_approved_by_staff_id_fk" FOREIGN KEY ("approved_by") REFERENCES "public"."staff"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_patient_id_patients_id_fk" FOREIGN KEY ("patient_id") REFERENCES "public"."patients"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "suppressions_created_idx" ON "suppressions" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "wave_deliveries_wave_patient_channel_key" ON "wave_deliveries" USING btree ("wave_id","patient_id","channel");--> statement-breakpoint
CREATE INDEX "wave_deliveries_due_idx" ON "wave_deliveries" USING btree ("send_at") WHERE state in ('pending', 'claimed', 'sending');--> statement-breakpoint
CREATE INDEX "wave_deliveries_wave_state_idx" ON "wave_deliveries" USING btree ("wave_id","state");--> statement-breakpoint
CREATE INDEX "wave_deliveries_provider_idx" ON "wave_deliveries" USING btree ("provider_message_id");--> statement-breakpoint
CREATE INDEX "wave_deliveries_patient_idx" ON "wave_deliveries" USING btree ("patient_id");--> statement-breakpoint
CREATE INDEX "waves_cohort_idx" ON "waves" USING btree ("cohort_id");--> statement-breakpoint
CREATE INDEX "waves_state_idx" ON "waves" USING btree ("state");--> statement-breakpoint
CREATE UNIQUE INDEX "inbound_messages_provider_key" ON "inbound_messages" USING btree ("channel","provider_message_id");--> statement-breakpoint
CREATE INDEX "inbound_messages_patient_idx" ON "inbound_messages" USING btree ("patient_id");