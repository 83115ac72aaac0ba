CREATE TYPE "public"."import_outcome" AS ENUM('imported', 'updated', 'unchanged', 'skipped', 'flagged');--> statement-breakpoint
CREATE TABLE "import_rows" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"line" integer NOT NULL,
	"legacy_id" text,
	"outcome" "import_outcome" NOT NULL,
	"reasons" text[] DEFAULT '{}'::text[] NOT NULL,
	"patient_id" uuid,
	"raw_enc" text NOT NULL,
	"has_password" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "import_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source" text NOT NULL,
	"format" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"started_by" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"rows" integer DEFAULT 0 NOT NULL,
	"by_outcome" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"by_reason" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"failure" text
);
--> statement-breakpoint
ALTER TABLE "patients" ADD COLUMN "import_fingerprint" text;--> statement-breakpoint
ALTER TABLE "patients" ADD COLUMN "import_run_id" uuid;--> statement-breakpoint
ALTER TABLE "import_rows" ADD CONSTRAINT "import_rows_run_id_import_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."import_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "import_rows_run_outcome_idx" ON "import_rows" USING btree ("run_id","outcome");--> statement-breakpoint
CREATE INDEX "import_rows_patient_idx" ON "import_rows" USING btree ("patient_id");