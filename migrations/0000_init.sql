CREATE SEQUENCE "public"."generated_user_ids" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE SEQUENCE "public"."event_stream" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE SEQUENCE "public"."misc_stream" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "access_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"created_ts" bigint NOT NULL,
	"expires_ts" bigint,
	"refresh_token_id" integer,
	"used" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "devices" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"display_name" text,
	"created_ts" bigint NOT NULL,
	"last_seen_ts" bigint,
	"last_seen_ip" text,
	"last_seen_user_agent" text,
	CONSTRAINT "devices_user_id_device_id_pk" PRIMARY KEY("user_id","device_id")
);
--> statement-breakpoint
CREATE TABLE "refresh_tokens" (
	"id" serial PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"created_ts" bigint NOT NULL,
	"previous_id" integer,
	CONSTRAINT "refresh_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "registration_tokens" (
	"token" text PRIMARY KEY NOT NULL,
	"uses_allowed" integer,
	"pending" integer DEFAULT 0 NOT NULL,
	"completed" integer DEFAULT 0 NOT NULL,
	"expiry_ts" bigint
);
--> statement-breakpoint
CREATE TABLE "uia_sessions" (
	"session_id" text PRIMARY KEY NOT NULL,
	"operation" text NOT NULL,
	"user_id" text,
	"completed" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"results" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_ts" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"user_id" text PRIMARY KEY NOT NULL,
	"password_hash" text,
	"created_ts" bigint NOT NULL,
	"is_guest" boolean DEFAULT false NOT NULL,
	"admin" boolean DEFAULT false NOT NULL,
	"deactivated" boolean DEFAULT false NOT NULL,
	"profile" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "account_data" (
	"user_id" text NOT NULL,
	"room_id" text DEFAULT '' NOT NULL,
	"type" text NOT NULL,
	"content" jsonb NOT NULL,
	"stream_pos" bigint NOT NULL,
	CONSTRAINT "account_data_user_id_room_id_type_pk" PRIMARY KEY("user_id","room_id","type")
);
--> statement-breakpoint
CREATE TABLE "filters" (
	"user_id" text NOT NULL,
	"filter_id" text NOT NULL,
	"filter" jsonb NOT NULL,
	CONSTRAINT "filters_user_id_filter_id_pk" PRIMARY KEY("user_id","filter_id")
);
--> statement-breakpoint
CREATE TABLE "event_edges" (
	"event_id" text NOT NULL,
	"prev_event_id" text NOT NULL,
	"room_id" text NOT NULL,
	CONSTRAINT "event_edges_event_id_prev_event_id_pk" PRIMARY KEY("event_id","prev_event_id")
);
--> statement-breakpoint
CREATE TABLE "event_txns" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"scope" text NOT NULL,
	"txn_id" text NOT NULL,
	"event_id" text NOT NULL,
	"created_ts" bigint NOT NULL,
	CONSTRAINT "event_txns_user_id_device_id_scope_txn_id_pk" PRIMARY KEY("user_id","device_id","scope","txn_id")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"stream_pos" bigint,
	"depth" bigint NOT NULL,
	"type" text NOT NULL,
	"state_key" text,
	"sender" text NOT NULL,
	"origin_server_ts" bigint NOT NULL,
	"json" text NOT NULL,
	"state_group" bigint,
	"outlier" boolean DEFAULT false NOT NULL,
	"rejected" text,
	"soft_failed" boolean DEFAULT false NOT NULL,
	"redacted_by" text,
	"replaces_state" text,
	"relates_to" text,
	"rel_type" text
);
--> statement-breakpoint
CREATE TABLE "forward_extremities" (
	"room_id" text NOT NULL,
	"event_id" text NOT NULL,
	CONSTRAINT "forward_extremities_room_id_event_id_pk" PRIMARY KEY("room_id","event_id")
);
--> statement-breakpoint
CREATE TABLE "redactions" (
	"event_id" text PRIMARY KEY NOT NULL,
	"redacts" text NOT NULL,
	"room_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "room_aliases" (
	"alias" text PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"creator" text NOT NULL,
	"created_ts" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "room_memberships" (
	"room_id" text NOT NULL,
	"user_id" text NOT NULL,
	"membership" text NOT NULL,
	"event_id" text NOT NULL,
	"sender" text NOT NULL,
	"stream_pos" bigint NOT NULL,
	"local" boolean NOT NULL,
	"forgotten" boolean DEFAULT false NOT NULL,
	CONSTRAINT "room_memberships_room_id_user_id_pk" PRIMARY KEY("room_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "room_state" (
	"room_id" text NOT NULL,
	"type" text NOT NULL,
	"state_key" text NOT NULL,
	"event_id" text NOT NULL,
	CONSTRAINT "room_state_room_id_type_state_key_pk" PRIMARY KEY("room_id","type","state_key")
);
--> statement-breakpoint
CREATE TABLE "rooms" (
	"room_id" text PRIMARY KEY NOT NULL,
	"version" text NOT NULL,
	"creator" text NOT NULL,
	"created_ts" bigint NOT NULL,
	"published" boolean DEFAULT false NOT NULL,
	"current_state_group" bigint,
	"current_chain_length" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "state_group_entries" (
	"group_id" bigint NOT NULL,
	"type" text NOT NULL,
	"state_key" text NOT NULL,
	"event_id" text,
	CONSTRAINT "state_group_entries_group_id_type_state_key_pk" PRIMARY KEY("group_id","type","state_key")
);
--> statement-breakpoint
CREATE TABLE "state_groups" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"prev_group" bigint,
	"chain_length" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "device_list_changes" (
	"user_id" text NOT NULL,
	"stream_pos" bigint NOT NULL,
	CONSTRAINT "device_list_changes_user_id_stream_pos_pk" PRIMARY KEY("user_id","stream_pos")
);
--> statement-breakpoint
CREATE TABLE "presence" (
	"user_id" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"status_msg" text,
	"last_active_ts" bigint NOT NULL,
	"stream_pos" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "receipts" (
	"room_id" text NOT NULL,
	"user_id" text NOT NULL,
	"receipt_type" text NOT NULL,
	"thread_id" text NOT NULL,
	"event_id" text NOT NULL,
	"event_pos" bigint NOT NULL,
	"ts" bigint NOT NULL,
	"stream_pos" bigint NOT NULL,
	CONSTRAINT "receipts_room_id_user_id_receipt_type_thread_id_pk" PRIMARY KEY("room_id","user_id","receipt_type","thread_id")
);
--> statement-breakpoint
CREATE TABLE "stream_heads" (
	"name" text PRIMARY KEY NOT NULL,
	"pos" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "to_device" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"stream_pos" bigint NOT NULL,
	"sender" text NOT NULL,
	"type" text NOT NULL,
	"content" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_data" ADD CONSTRAINT "account_data_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "filters" ADD CONSTRAINT "filters_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_tokens_device" ON "access_tokens" USING btree ("user_id","device_id");--> statement-breakpoint
CREATE INDEX "refresh_tokens_device" ON "refresh_tokens" USING btree ("user_id","device_id");--> statement-breakpoint
CREATE INDEX "account_data_stream" ON "account_data" USING btree ("user_id","stream_pos");--> statement-breakpoint
CREATE INDEX "event_edges_prev" ON "event_edges" USING btree ("prev_event_id");--> statement-breakpoint
CREATE INDEX "event_txns_event" ON "event_txns" USING btree ("event_id");--> statement-breakpoint
CREATE UNIQUE INDEX "events_stream" ON "events" USING btree ("stream_pos");--> statement-breakpoint
CREATE INDEX "events_room_stream" ON "events" USING btree ("room_id","stream_pos");--> statement-breakpoint
CREATE INDEX "events_room_ts" ON "events" USING btree ("room_id","origin_server_ts");--> statement-breakpoint
CREATE INDEX "events_relates" ON "events" USING btree ("relates_to","rel_type");--> statement-breakpoint
CREATE INDEX "redactions_redacts" ON "redactions" USING btree ("redacts");--> statement-breakpoint
CREATE INDEX "room_aliases_room" ON "room_aliases" USING btree ("room_id");--> statement-breakpoint
CREATE INDEX "room_memberships_user" ON "room_memberships" USING btree ("user_id","membership");--> statement-breakpoint
CREATE INDEX "device_list_changes_stream" ON "device_list_changes" USING btree ("stream_pos");--> statement-breakpoint
CREATE INDEX "presence_stream" ON "presence" USING btree ("stream_pos");--> statement-breakpoint
CREATE INDEX "receipts_stream" ON "receipts" USING btree ("stream_pos");--> statement-breakpoint
CREATE INDEX "to_device_inbox" ON "to_device" USING btree ("user_id","device_id","stream_pos");