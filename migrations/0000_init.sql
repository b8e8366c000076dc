CREATE SEQUENCE "public"."generated_user_ids" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE SEQUENCE "public"."account_data_stream" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
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
ALTER TABLE "devices" ADD CONSTRAINT "devices_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_data" ADD CONSTRAINT "account_data_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "filters" ADD CONSTRAINT "filters_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_tokens_device" ON "access_tokens" USING btree ("user_id","device_id");--> statement-breakpoint
CREATE INDEX "refresh_tokens_device" ON "refresh_tokens" USING btree ("user_id","device_id");