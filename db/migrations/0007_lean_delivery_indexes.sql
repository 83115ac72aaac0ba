DROP INDEX "wave_deliveries_wave_state_idx";--> statement-breakpoint
DROP INDEX "wave_deliveries_patient_idx";--> statement-breakpoint
DROP INDEX "wave_deliveries_provider_idx";--> statement-breakpoint
CREATE INDEX "wave_deliveries_provider_idx" ON "wave_deliveries" USING btree ("provider_message_id") WHERE provider_message_id is not null;