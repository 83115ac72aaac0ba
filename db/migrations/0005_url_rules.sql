CREATE TABLE "id_crosswalk" (
	"kind" text NOT NULL,
	"legacy_id" text NOT NULL,
	"new_id" text NOT NULL,
	CONSTRAINT "id_crosswalk_kind_legacy_id_pk" PRIMARY KEY("kind","legacy_id")
);
--> statement-breakpoint
CREATE TABLE "unmapped_paths" (
	"path" text PRIMARY KEY NOT NULL,
	"hits" bigint DEFAULT 0 NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "url_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"source" text NOT NULL,
	"target" text NOT NULL,
	"when" text DEFAULT 'always' NOT NULL,
	"status" integer,
	"position" integer DEFAULT 0 NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "cohorts" ADD COLUMN "final_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cohorts" ADD COLUMN "phase_changed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "unmapped_paths_hits_idx" ON "unmapped_paths" USING btree ("hits" DESC NULLS LAST) WHERE "unmapped_paths"."resolved_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "url_rules_source_when_key" ON "url_rules" USING btree ("source","when");