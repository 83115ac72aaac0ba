CREATE TABLE "legacy_link_redemptions" (
	"key" text PRIMARY KEY NOT NULL,
	"patient_id" uuid,
	"redeemed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"keep_until" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "legacy_links" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"legacy_id" text NOT NULL,
	"expires_at" timestamp with time zone,
	"consumed_at" timestamp with time zone,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sign_in_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"patient_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"channel" text NOT NULL,
	"link_hash" text,
	"code_key" text NOT NULL,
	"interaction_uid" text,
	"client_id" text,
	"expires_at" timestamp with time zone NOT NULL,
	"consumed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "legacy_link_redemptions" ADD CONSTRAINT "legacy_link_redemptions_patient_id_patients_id_fk" FOREIGN KEY ("patient_id") REFERENCES "public"."patients"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sign_in_tokens" ADD CONSTRAINT "sign_in_tokens_patient_id_patients_id_fk" FOREIGN KEY ("patient_id") REFERENCES "public"."patients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "legacy_links_legacy_id_idx" ON "legacy_links" USING btree ("legacy_id");--> statement-breakpoint
CREATE UNIQUE INDEX "sign_in_tokens_link_hash_key" ON "sign_in_tokens" USING btree ("link_hash");--> statement-breakpoint
CREATE INDEX "sign_in_tokens_code_key_idx" ON "sign_in_tokens" USING btree ("code_key");--> statement-breakpoint
CREATE INDEX "sign_in_tokens_patient_idx" ON "sign_in_tokens" USING btree ("patient_id");--> statement-breakpoint
CREATE INDEX "sign_in_tokens_expires_idx" ON "sign_in_tokens" USING btree ("expires_at");