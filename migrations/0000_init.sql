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
	"suspended" boolean DEFAULT false NOT NULL,
	"locked" boolean DEFAULT false NOT NULL,
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
CREATE TABLE "media" (
	"media_id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"created_ts" bigint NOT NULL,
	"uploaded_ts" bigint,
	"unused_expires_ts" bigint,
	"content_type" text,
	"upload_name" text,
	"size" bigint,
	"storage_key" text,
	"quarantined_by" text,
	"safe_from_quarantine" boolean DEFAULT false NOT NULL,
	"authenticated" boolean DEFAULT true NOT NULL,
	"url_cache" text
);
--> statement-breakpoint
CREATE TABLE "url_previews" (
	"url" text PRIMARY KEY NOT NULL,
	"fetched_ts" bigint NOT NULL,
	"expires_ts" bigint NOT NULL,
	"og" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "event_search" (
	"event_id" text PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"key" text NOT NULL,
	"sender" text NOT NULL,
	"contains_url" boolean NOT NULL,
	"origin_server_ts" bigint NOT NULL,
	"vector" "tsvector" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reports" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"event_id" text,
	"reporter" text NOT NULL,
	"reason" text,
	"received_ts" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_reports" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"reporter" text NOT NULL,
	"reason" text NOT NULL,
	"received_ts" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cross_signing_keys" (
	"user_id" text NOT NULL,
	"key_type" text NOT NULL,
	"public_key" text NOT NULL,
	"key_json" text NOT NULL,
	CONSTRAINT "cross_signing_keys_user_id_key_type_pk" PRIMARY KEY("user_id","key_type")
);
--> statement-breakpoint
CREATE TABLE "cross_signing_signatures" (
	"signer_user_id" text NOT NULL,
	"signing_key_id" text NOT NULL,
	"target_user_id" text NOT NULL,
	"target_key_id" text NOT NULL,
	"signature" text NOT NULL,
	CONSTRAINT "cross_signing_signatures_target_user_id_target_key_id_signer_user_id_signing_key_id_pk" PRIMARY KEY("target_user_id","target_key_id","signer_user_id","signing_key_id")
);
--> statement-breakpoint
CREATE TABLE "dehydrated_devices" (
	"user_id" text PRIMARY KEY NOT NULL,
	"device_id" text NOT NULL,
	"device_data" text NOT NULL,
	"created_ts" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "e2e_device_keys" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"key_json" text NOT NULL,
	CONSTRAINT "e2e_device_keys_user_id_device_id_pk" PRIMARY KEY("user_id","device_id")
);
--> statement-breakpoint
CREATE TABLE "e2e_fallback_keys" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"algorithm" text NOT NULL,
	"key_id" text NOT NULL,
	"key_json" text NOT NULL,
	"used" boolean DEFAULT false NOT NULL,
	CONSTRAINT "e2e_fallback_keys_user_id_device_id_algorithm_pk" PRIMARY KEY("user_id","device_id","algorithm")
);
--> statement-breakpoint
CREATE TABLE "e2e_key_count_readers" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"read_ts" bigint NOT NULL,
	CONSTRAINT "e2e_key_count_readers_user_id_device_id_pk" PRIMARY KEY("user_id","device_id")
);
--> statement-breakpoint
CREATE TABLE "e2e_one_time_key_floors" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"algorithm" text NOT NULL,
	"id" bigint NOT NULL,
	CONSTRAINT "e2e_one_time_key_floors_user_id_device_id_algorithm_pk" PRIMARY KEY("user_id","device_id","algorithm")
);
--> statement-breakpoint
CREATE TABLE "e2e_one_time_keys" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"algorithm" text NOT NULL,
	"key_id" text NOT NULL,
	"key_json" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "room_key_backup_keys" (
	"user_id" text NOT NULL,
	"version" bigint NOT NULL,
	"room_id" text NOT NULL,
	"session_id" text NOT NULL,
	"first_message_index" bigint NOT NULL,
	"forwarded_count" bigint NOT NULL,
	"is_verified" boolean NOT NULL,
	"session_data" text NOT NULL,
	CONSTRAINT "room_key_backup_keys_user_id_version_room_id_session_id_pk" PRIMARY KEY("user_id","version","room_id","session_id")
);
--> statement-breakpoint
CREATE TABLE "room_key_backups" (
	"user_id" text NOT NULL,
	"version" bigint NOT NULL,
	"algorithm" text NOT NULL,
	"auth_data" text NOT NULL,
	"etag" bigint DEFAULT 0 NOT NULL,
	"deleted" boolean DEFAULT false NOT NULL,
	CONSTRAINT "room_key_backups_user_id_version_pk" PRIMARY KEY("user_id","version")
);
--> statement-breakpoint
CREATE TABLE "to_device_txns" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"txn_id" text NOT NULL,
	"created_ts" bigint NOT NULL,
	CONSTRAINT "to_device_txns_user_id_device_id_txn_id_pk" PRIMARY KEY("user_id","device_id","txn_id")
);
--> statement-breakpoint
CREATE TABLE "user_signature_changes" (
	"signer_user_id" text NOT NULL,
	"target_user_id" text NOT NULL,
	"stream_pos" bigint NOT NULL,
	CONSTRAINT "user_signature_changes_signer_user_id_stream_pos_target_user_id_pk" PRIMARY KEY("signer_user_id","stream_pos","target_user_id")
);
--> statement-breakpoint
CREATE TABLE "event_push_actions" (
	"user_id" text NOT NULL,
	"room_id" text NOT NULL,
	"event_id" text NOT NULL,
	"stream_pos" bigint NOT NULL,
	"notify" boolean NOT NULL,
	"highlight" boolean NOT NULL,
	"thread_id" text,
	"actions" jsonb NOT NULL,
	"ts" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "push_rule_changes" (
	"user_id" text NOT NULL,
	"kind" text NOT NULL,
	"rule_id" text NOT NULL,
	"enabled" boolean,
	"actions" jsonb,
	CONSTRAINT "push_rule_changes_user_id_kind_rule_id_pk" PRIMARY KEY("user_id","kind","rule_id")
);
--> statement-breakpoint
CREATE TABLE "push_rules" (
	"user_id" text NOT NULL,
	"kind" text NOT NULL,
	"rule_id" text NOT NULL,
	"position" integer NOT NULL,
	"conditions" jsonb,
	"actions" jsonb NOT NULL,
	"pattern" text,
	"enabled" boolean DEFAULT true NOT NULL,
	CONSTRAINT "push_rules_user_id_kind_rule_id_pk" PRIMARY KEY("user_id","kind","rule_id")
);
--> statement-breakpoint
CREATE TABLE "pushers" (
	"user_id" text NOT NULL,
	"app_id" text NOT NULL,
	"pushkey" text NOT NULL,
	"kind" text NOT NULL,
	"app_display_name" text NOT NULL,
	"device_display_name" text NOT NULL,
	"profile_tag" text,
	"lang" text NOT NULL,
	"data" jsonb NOT NULL,
	"device_id" text,
	"created_ts" bigint NOT NULL,
	CONSTRAINT "pushers_user_id_app_id_pushkey_pk" PRIMARY KEY("user_id","app_id","pushkey")
);
--> statement-breakpoint
CREATE TABLE "received_transactions" (
	"origin" text NOT NULL,
	"txn_id" text NOT NULL,
	"response" jsonb NOT NULL,
	"received_ts" bigint NOT NULL,
	CONSTRAINT "received_transactions_origin_txn_id_pk" PRIMARY KEY("origin","txn_id")
);
--> statement-breakpoint
CREATE TABLE "server_key_responses" (
	"server_name" text PRIMARY KEY NOT NULL,
	"response" jsonb NOT NULL,
	"valid_until_ts" bigint NOT NULL,
	"fetched_ts" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "server_keys" (
	"server_name" text NOT NULL,
	"key_id" text NOT NULL,
	"verify_key" text NOT NULL,
	"valid_until_ts" bigint NOT NULL,
	"expired_ts" bigint,
	"fetched_ts" bigint NOT NULL,
	CONSTRAINT "server_keys_server_name_key_id_pk" PRIMARY KEY("server_name","key_id")
);
--> statement-breakpoint
CREATE TABLE "user_directory" (
	"user_id" text PRIMARY KEY NOT NULL,
	"display_name" text,
	"avatar_url" text,
	"vector" "tsvector" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "openid_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"expires_ts" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "login_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"expires_ts" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "remote_device_lists" (
	"user_id" text PRIMARY KEY NOT NULL,
	"stream_id" bigint NOT NULL,
	"updated_ts" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "remote_devices" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"key_json" text,
	CONSTRAINT "remote_devices_user_id_device_id_pk" PRIMARY KEY("user_id","device_id")
);
--> statement-breakpoint
CREATE TABLE "remote_media" (
	"server_name" text NOT NULL,
	"media_id" text NOT NULL,
	"content_type" text NOT NULL,
	"upload_name" text,
	"size" bigint NOT NULL,
	"storage_key" text NOT NULL,
	"fetched_ts" bigint NOT NULL,
	CONSTRAINT "remote_media_server_name_media_id_pk" PRIMARY KEY("server_name","media_id")
);
--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_data" ADD CONSTRAINT "account_data_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "filters" ADD CONSTRAINT "filters_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dehydrated_devices" ADD CONSTRAINT "dehydrated_devices_user_id_device_id_devices_user_id_device_id_fk" FOREIGN KEY ("user_id","device_id") REFERENCES "public"."devices"("user_id","device_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "e2e_device_keys" ADD CONSTRAINT "e2e_device_keys_user_id_device_id_devices_user_id_device_id_fk" FOREIGN KEY ("user_id","device_id") REFERENCES "public"."devices"("user_id","device_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "e2e_fallback_keys" ADD CONSTRAINT "e2e_fallback_keys_user_id_device_id_devices_user_id_device_id_fk" FOREIGN KEY ("user_id","device_id") REFERENCES "public"."devices"("user_id","device_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "e2e_key_count_readers" ADD CONSTRAINT "e2e_key_count_readers_user_id_device_id_devices_user_id_device_id_fk" FOREIGN KEY ("user_id","device_id") REFERENCES "public"."devices"("user_id","device_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "e2e_one_time_key_floors" ADD CONSTRAINT "e2e_one_time_key_floors_user_id_device_id_devices_user_id_device_id_fk" FOREIGN KEY ("user_id","device_id") REFERENCES "public"."devices"("user_id","device_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "e2e_one_time_keys" ADD CONSTRAINT "e2e_one_time_keys_user_id_device_id_devices_user_id_device_id_fk" FOREIGN KEY ("user_id","device_id") REFERENCES "public"."devices"("user_id","device_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "push_rule_changes" ADD CONSTRAINT "push_rule_changes_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "push_rules" ADD CONSTRAINT "push_rules_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pushers" ADD CONSTRAINT "pushers_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
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
CREATE INDEX "to_device_inbox" ON "to_device" USING btree ("user_id","device_id","stream_pos");--> statement-breakpoint
CREATE INDEX "media_user" ON "media" USING btree ("user_id","created_ts");--> statement-breakpoint
CREATE INDEX "event_search_vector" ON "event_search" USING gin ("vector");--> statement-breakpoint
CREATE INDEX "event_search_room_ts" ON "event_search" USING btree ("room_id","origin_server_ts");--> statement-breakpoint
CREATE INDEX "reports_room" ON "reports" USING btree ("room_id","received_ts");--> statement-breakpoint
CREATE INDEX "user_reports_user" ON "user_reports" USING btree ("user_id","received_ts");--> statement-breakpoint
CREATE UNIQUE INDEX "e2e_one_time_keys_key" ON "e2e_one_time_keys" USING btree ("user_id","device_id","algorithm","key_id");--> statement-breakpoint
CREATE INDEX "e2e_one_time_keys_claim" ON "e2e_one_time_keys" USING btree ("user_id","device_id","algorithm","id");--> statement-breakpoint
CREATE UNIQUE INDEX "event_push_actions_event_user" ON "event_push_actions" USING btree ("event_id","user_id");--> statement-breakpoint
CREATE INDEX "event_push_actions_room" ON "event_push_actions" USING btree ("user_id","room_id","stream_pos");--> statement-breakpoint
CREATE INDEX "event_push_actions_user" ON "event_push_actions" USING btree ("user_id","stream_pos");--> statement-breakpoint
CREATE INDEX "pushers_app_pushkey" ON "pushers" USING btree ("app_id","pushkey");--> statement-breakpoint
CREATE INDEX "received_transactions_ts" ON "received_transactions" USING btree ("received_ts");--> statement-breakpoint
CREATE INDEX "user_directory_vector" ON "user_directory" USING gin ("vector");--> statement-breakpoint
CREATE INDEX "openid_tokens_expiry" ON "openid_tokens" USING btree ("expires_ts");--> statement-breakpoint
CREATE INDEX "login_tokens_expiry" ON "login_tokens" USING btree ("expires_ts");