/* companion-engine.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-engine"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "crossing-proof.h"
#include "crossing-token.h"

#include "companion-adapters.h"
#include "companion-engine.h"
#include "companion-errors.h"
#include "companion-limits.h"
#include "companion-reply.h"
#include "companion-sessions.h"

/* How many due orders one timer tick expires before it yields. */
#define EXPIRY_BATCH 256

struct _CompanionEngine
{
  GObject            parent_instance;

  CompanionConfig   *config;   /* not owned: lives as long as the program */
  CompanionStore    *store;

  guint              expiry_id;
  gint64             expiry_at;   /* when the armed timer fires, epoch ms */

  CompanionGeoip    *geoip;       /* nullable */
};

G_DEFINE_FINAL_TYPE (CompanionEngine, companion_engine, G_TYPE_OBJECT)

static void schedule_expiry (CompanionEngine *self,
                             gint64           when);

static gboolean
fail (GError        **error,
      CrossingError   code)
{
  g_set_error_literal (error, CROSSING_ERROR, code, crossing_error_default_message (code));
  return FALSE;
}

/* A store failure, as the wire says it (core/companion-errors.c). */
static gboolean
store_failed (GError **error)
{
  companion_error_from_store (error);
  return FALSE;
}

static gboolean
fail_message (GError        **error,
              CrossingError   code,
              const char     *message)
{
  g_set_error_literal (error, CROSSING_ERROR, code, message);
  return FALSE;
}

/* Appends @value as a JSON string (control characters as \u00XX). */
static void
append_json_string (GString    *out,
                    const char *value)
{
  g_string_append_c (out, '"');
  for (const char *p = value; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

/* Written out by hand: one of these goes with every transition, and a
 * JsonBuilder, its nodes and the generator cost twice what writing the
 * event to its streams does. */
char *
companion_engine_event_data (const CompanionOrder *order,
                             CrossingStatus        status)
{
  return companion_engine_event_data_with_reason (order, status, NULL);
}

char *
companion_engine_event_data_with_reason (const CompanionOrder *order,
                                         CrossingStatus        status,
                                         const char           *reason)
{
  GString *out = g_string_sized_new (160);

  g_string_append (out, "{\"orderId\":");
  append_json_string (out, order->id);
  g_string_append (out, ",\"status\":");
  append_json_string (out, crossing_status_to_string (status));
  g_string_append (out, ",\"kind\":");
  append_json_string (out, crossing_kind_to_string (order->kind));
  g_string_append (out, ",\"redirectTo\":");
  append_json_string (out, companion_order_redirect_to (order));
  if (status == CROSSING_STATUS_CLAIMED && order->check_code != NULL)
    {
      g_string_append (out, ",\"checkCode\":");
      append_json_string (out, order->check_code);
    }
  /* The desktop says why it ended: a reject names its cause, an expiry is
   * always the clock. */
  if (status == CROSSING_STATUS_EXPIRED)
    reason = COMPANION_REASON_EXPIRED;
  else if (status == CROSSING_STATUS_REJECTED && reason == NULL)
    reason = COMPANION_REASON_USER;
  else if (status != CROSSING_STATUS_REJECTED)
    reason = NULL;
  if (reason != NULL)
    {
      g_string_append (out, ",\"reason\":");
      append_json_string (out, reason);
    }
  /* issue 12: the members the order's feature set, written by the engine
   * as a JSON object ("{...}"; "{}" adds nothing). */
  if (status == CROSSING_STATUS_APPROVED && order->approved_extra != NULL)
    {
      gsize len = strlen (order->approved_extra);

      if (len > 2 && order->approved_extra[0] == '{' && order->approved_extra[len - 1] == '}')
        {
          g_string_append_c (out, ',');
          g_string_append_len (out, order->approved_extra + 1, (gssize) len - 2);
        }
    }
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

/* Runs @change on @order as a compare-and-set from the states @action
 * allows, to the state the action leads to (companion-order.c's table);
 * the store tells the streams ("event-committed"). A lost race is
 * CROSSING_ERROR_TRANSITION_RACE. */
static gboolean
transition_with_reason (CompanionEngine             *self,
                        CompanionOrder              *order,
                        CompanionAction              action,
                        const CompanionOrderChange  *change,
                        const char                  *reason,
                        GError                     **error)
{
  CompanionOrderChange targeted = *change;
  g_autofree char *data = NULL;
  gint64 seq = 0;

  targeted.to = companion_action_target (action);
  data = companion_engine_event_data_with_reason (order, targeted.to, reason);
  if (!companion_store_transition (self->store, order->id, companion_action_allowed_from (action),
                                   &targeted, data, &seq, error))
    return store_failed (error);

  g_debug ("Order %.8s…: %s -> %s", order->id, crossing_status_to_string (order->status),
           crossing_status_to_string (targeted.to));
  order->status = targeted.to;
  order->event_seq = seq;
  return TRUE;
}

static gboolean
transition (CompanionEngine             *self,
            CompanionOrder              *order,
            CompanionAction              action,
            const CompanionOrderChange  *change,
            GError                     **error)
{
  return transition_with_reason (self, order, action, change, NULL, error);
}

static void
expire_order (CompanionEngine *self,
              CompanionOrder  *order,
              gint64           now)
{
  CompanionOrderChange change = { .only_if_expires_by = now };
  g_autoptr(GError) error = NULL;

  if (!transition (self, order, COMPANION_ACTION_EXPIRE, &change, &error) &&
      !g_error_matches (error, CROSSING_ERROR, CROSSING_ERROR_TRANSITION_RACE))
    g_warning ("Cannot expire an order: %s", error->message);
}

static gboolean
on_expiry (gpointer user_data)
{
  CompanionEngine *self = user_data;
  g_autoptr(GPtrArray) due = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = crossing_now_ms ();
  gint64 next;

  self->expiry_id = 0;
  self->expiry_at = 0;

  due = companion_store_list_due_orders (self->store, now, EXPIRY_BATCH, &error);
  if (due == NULL)
    {
      g_warning ("Cannot read due orders: %s", error->message);
      schedule_expiry (self, now + 1000);
      return G_SOURCE_REMOVE;
    }

  for (guint i = 0; i < due->len; i++)
    expire_order (self, g_ptr_array_index (due, i), now);

  next = due->len == EXPIRY_BATCH ? now : companion_store_next_expiry (self->store, NULL);
  schedule_expiry (self, next);
  return G_SOURCE_REMOVE;
}

/* Makes sure the timer fires no later than @when (epoch ms). */
static void
schedule_expiry (CompanionEngine *self,
                 gint64           when)
{
  gint64 delay;

  if (when == G_MAXINT64)
    return;
  if (self->expiry_id != 0 && self->expiry_at <= when)
    return;

  g_clear_handle_id (&self->expiry_id, g_source_remove);
  delay = CLAMP (when - crossing_now_ms (), 0, G_MAXUINT);
  self->expiry_at = when;
  self->expiry_id = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) delay, on_expiry, self, NULL);
}

void
companion_engine_start_timers (CompanionEngine *self)
{
  g_autoptr(GError) error = NULL;
  gint64 next;

  g_return_if_fail (COMPANION_IS_ENGINE (self));

  next = companion_store_next_expiry (self->store, &error);
  if (error != NULL)
    g_warning ("Cannot read the next expiry: %s", error->message);
  schedule_expiry (self, next);
}

/* The timer may lag behind the clock by a tick: the clock decides. */
static void
catch_up_expiry (CompanionEngine *self,
                 CompanionOrder  *order)
{
  if (companion_order_is_past_expiry (order, crossing_now_ms ()))
    {
      expire_order (self, order, crossing_now_ms ());
      order->status = CROSSING_STATUS_EXPIRED;
    }
}

/* Finds the order and checks @token against the stored hash: the failures
 * a caller must see before anything about the order's state. */
static CompanionOrder *
load_order (CompanionEngine  *self,
            const char       *order_id,
            const char       *token,
            gsize             hash_offset,
            CrossingError     token_error,
            GError          **error)
{
  g_autoptr(CompanionOrder) order = NULL;
  const char *stored_hash;

  g_autoptr(GError) local_error = NULL;

  order = companion_store_get_order (self->store, order_id, &local_error);
  if (order == NULL)
    {
      if (g_error_matches (local_error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND))
        fail (error, CROSSING_ERROR_ORDER_NOT_FOUND);
      else
        {
          companion_error_from_store (&local_error);
          g_propagate_error (error, g_steal_pointer (&local_error));
        }
      return NULL;
    }

  stored_hash = G_STRUCT_MEMBER (const char *, order, hash_offset);
  if (stored_hash == NULL || !crossing_token_verify (token, stored_hash))
    {
      fail (error, token_error);
      return NULL;
    }

  catch_up_expiry (self, order);
  return g_steal_pointer (&order);
}

#define LOAD(self, id, token, field, code, error) \
  load_order ((self), (id), (token), G_STRUCT_OFFSET (CompanionOrder, field), (code), (error))

static gboolean
check_action (CompanionOrder   *order,
              CompanionAction   action,
              GError          **error)
{
  int code = companion_action_check (action, order->status);

  if (code < 0)
    return TRUE;
  return fail (error, (CrossingError) code);
}

static JsonNode *
ok_response (const CompanionOrder *order)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, TRUE);
  companion_json_add_string (builder, "orderId", order->id);
  companion_json_add_string (builder, "status", crossing_status_to_string (order->status));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static char *
build_claim_url (CompanionEngine *self,
                 const char      *order_id,
                 const char      *claim_token)
{
  g_autoptr(GString) url = g_string_new (self->config->claim_path_template);

  g_string_replace (url, "{publicUrl}", self->config->public_url, 0);
  g_string_replace (url, "{orderId}", order_id, 0);
  g_string_replace (url, "{claimToken}", claim_token, 0);
  return g_string_free (g_steal_pointer (&url), FALSE);
}

/* ---- user codes ---------------------------------------------------------- */

char *
companion_user_code_normalize (const char *input)
{
  g_autoptr(GString) code = g_string_sized_new (COMPANION_USER_CODE_LENGTH);

  g_return_val_if_fail (input != NULL, NULL);

  for (const char *p = input; *p != '\0'; p++)
    {
      char c = g_ascii_toupper (*p);

      if (c == ' ' || c == '-')
        continue;
      if (c == '\0' || strchr (COMPANION_USER_CODE_ALPHABET, c) == NULL ||
          code->len == COMPANION_USER_CODE_LENGTH)
        return NULL;
      g_string_append_c (code, c);
    }
  if (code->len != COMPANION_USER_CODE_LENGTH)
    return NULL;
  return g_string_free (g_steal_pointer (&code), FALSE);
}

static char *
draw_user_code (void)
{
  char code[COMPANION_USER_CODE_LENGTH + 1];

  for (guint i = 0; i < COMPANION_USER_CODE_LENGTH; i++)
    code[i] = COMPANION_USER_CODE_ALPHABET[randombytes_uniform (20)];
  code[COMPANION_USER_CODE_LENGTH] = '\0';
  return g_strdup (code);
}

/* Inserts @order with a fresh code unless max-user-codes are live; a code
 * another live order holds is drawn again. @out_code stays NULL without. */
static gboolean
insert_with_user_code (CompanionEngine  *self,
                       CompanionOrder   *order,
                       char            **out_code,
                       GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  guint64 live;

  live = companion_store_count_user_codes (self->store, crossing_now_ms (), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return store_failed (error);
    }

  if (live < self->config->max_user_codes)
    {
      /* Against 20^8 codes a second draw is already rare. */
      for (guint attempt = 0; attempt < 8; attempt++)
        {
          g_autofree char *code = draw_user_code ();

          g_clear_error (&local_error);
          g_free (order->user_code_hash);
          order->user_code_hash = crossing_token_hash (code);
          if (companion_store_insert_order (self->store, order, &local_error))
            {
              *out_code = g_steal_pointer (&code);
              return TRUE;
            }
          if (!g_error_matches (local_error, COMPANION_STORE_ERROR,
                                COMPANION_STORE_ERROR_CONFLICT))
            break;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return store_failed (error);
    }

  /* Full: the order still works by its QR. */
  g_debug ("%" G_GUINT64_FORMAT " user codes live: an order without one", live);
  g_clear_pointer (&order->user_code_hash, g_free);
  if (!companion_store_insert_order (self->store, order, error))
    return store_failed (error);
  return TRUE;
}

/* The extra details as the JSON object the order keeps, or NULL for none;
 * FALSE with INVALID_REQUEST for a key the order sets itself, one given
 * twice, or a value that is empty or not clean. */
static gboolean
extra_details_json (const char *const  *details,
                    char              **out_json,
                    GError            **error)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GHashTable) seen = NULL;

  *out_json = NULL;
  if (details == NULL || details[0] == NULL)
    return TRUE;

  seen = g_hash_table_new (g_str_hash, g_str_equal);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  for (gsize i = 0; details[i] != NULL; i += 2)
    {
      const char *key = details[i];
      const char *value = details[i + 1];

      if (value == NULL || *key == '\0' || *value == '\0' || !crossing_string_is_clean (key) ||
          !crossing_string_is_clean (value) || !g_hash_table_add (seen, (gpointer) key) ||
          g_str_equal (key, "kind") || g_str_equal (key, "orderId") ||
          g_str_equal (key, "summary") || g_str_equal (key, "title") ||
          g_str_equal (key, "subject"))
        return fail_message (error, CROSSING_ERROR_INVALID_REQUEST,
                             "A detail repeats one of the order's own, or is empty");
      companion_json_add_string (builder, key, value);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  generator = json_generator_new ();
  json_generator_set_root (generator, root);
  *out_json = json_generator_to_data (generator, NULL);
  return TRUE;
}

void
companion_engine_set_geoip (CompanionEngine *self,
                            CompanionGeoip  *geoip)
{
  g_return_if_fail (COMPANION_IS_ENGINE (self));
  g_set_object (&self->geoip, geoip);
}

static JsonNode *start_response (const CompanionOrder *order,
                                 const char           *claim_token,
                                 const char           *claim_url,
                                 const char           *event_token,
                                 const char           *desktop_token,
                                 const char           *user_code,
                                 const char           *public_url);

JsonNode *
companion_engine_start (CompanionEngine              *self,
                        const CompanionStartRequest  *request,
                        GError                      **error)
{
  g_autoptr(CompanionOrder) order = companion_order_new ();
  g_autofree char *claim_token = NULL;
  g_autofree char *desktop_token = NULL;
  g_autofree char *event_token = NULL;
  g_autofree char *claim_url = NULL;
  g_autofree char *user_code = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *extra_details = NULL;
  CrossingAdapter adapter = request->adapter;
  const char *origin;
  const char *noun;
  gint64 now;

  g_return_val_if_fail (COMPANION_IS_ENGINE (self), NULL);

  if (request->subject != NULL)
    {
      CrossingAdapter signs_as = CROSSING_ADAPTER_INVALID;

      subject = crossing_subject_normalize (request->subject, &signs_as);
      if (subject == NULL)
        {
          fail_message (error, CROSSING_ERROR_INVALID_REQUEST,
                        "The field subject must be ed25519:{64 hex digits}, a Nimiq address "
                        "or passkey:{credentialId}");
          return NULL;
        }
      if (adapter == CROSSING_ADAPTER_INVALID)
        adapter = signs_as;
      else if (adapter != signs_as)
        {
          fail (error, CROSSING_ERROR_UNSUPPORTED_ADAPTER);
          return NULL;
        }
    }
  if (adapter == CROSSING_ADAPTER_INVALID)
    adapter = CROSSING_DEFAULT_ADAPTER;
  if (!extra_details_json (request->details, &extra_details, error))
    return NULL;

  origin = request->origin != NULL ? request->origin : self->config->public_origin;
  if (!companion_config_is_trusted_origin (self->config, origin))
    {
      fail (error, CROSSING_ERROR_UNTRUSTED_ORIGIN);
      return NULL;
    }
  if (!companion_adapter_check_start (self->config, adapter, error))
    return NULL;

  now = crossing_now_ms ();
  noun = crossing_kind_to_noun (request->kind);
  claim_token = crossing_token_new (CROSSING_TOKEN_BYTES);
  desktop_token = crossing_token_new (CROSSING_TOKEN_BYTES);
  event_token = crossing_token_new (CROSSING_TOKEN_BYTES);

  order->id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  order->kind = request->kind;
  order->adapter = adapter;
  order->identified = subject != NULL;
  order->subject = g_strdup (subject);
  order->extra_details = g_steal_pointer (&extra_details);
  order->status = CROSSING_STATUS_CREATED;
  order->claim_token_hash = crossing_token_hash (claim_token);
  order->desktop_token_hash = crossing_token_hash (desktop_token);
  order->event_token_hash = crossing_token_hash (event_token);
  order->origin = g_strdup (origin);
  order->return_to = g_strdup (request->return_to);
  order->app_name = g_strdup (self->config->app_name);
  order->title = request->title != NULL
    ? g_strdup (request->title)
    : g_strdup_printf ("%s %s", order->app_name, noun);
  order->summary = request->summary != NULL
    ? g_strdup (request->summary)
    : g_strdup_printf ("Approve %s for %s.", noun, order->app_name);
  order->payload_hash = g_strdup (request->payload_hash);
  order->approved_extra = g_strdup (request->approved_extra);
  order->challenge_id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  order->nonce = crossing_token_new (CROSSING_TOKEN_BYTES);
  order->requester_ip = g_strdup (request->requester_ip);
  order->requester_user_agent = g_strdup (request->requester_user_agent);
  order->created_at = now;
  order->issued_at = now;
  order->expires_at = now + (gint64) self->config->order_ttl * 1000;
  if (request->challenge_id_is_credential)
    order->challenge_id_hash = crossing_token_hash (order->challenge_id);
  order->poll_interval = self->config->poll_interval;
  /* Fixed at start, so every read of the challenge shows the same text. */
  order->message = companion_order_build_message (order);

  claim_url = build_claim_url (self, order->id, claim_token);
  if (request->insert != NULL)
    {
      g_autoptr(JsonNode) response = NULL;

      g_return_val_if_fail (!request->user_code, NULL);
      response = start_response (order, claim_token, claim_url, event_token, desktop_token,
                                 NULL, NULL);
      if (!request->insert (self->store, order, response, request->insert_data, error))
        return NULL;
      schedule_expiry (self, order->expires_at);
      g_debug ("Order %.8s… started (%s)", order->id, crossing_kind_to_string (order->kind));
      return g_steal_pointer (&response);
    }
  if (request->user_code)
    {
      if (!insert_with_user_code (self, order, &user_code, error))
        return NULL;
    }
  else if (!companion_store_insert_order (self->store, order, error))
    {
      store_failed (error);
      return NULL;
    }

  schedule_expiry (self, order->expires_at);
  g_debug ("Order %.8s… started (%s)", order->id, crossing_kind_to_string (order->kind));
  return start_response (order, claim_token, claim_url, event_token, desktop_token, user_code,
                         self->config->public_url);
}

/* What start answers. */
static JsonNode *
start_response (const CompanionOrder *order,
                const char           *claim_token,
                const char           *claim_url,
                const char           *event_token,
                const char           *desktop_token,
                const char           *user_code,
                const char           *public_url)
{
  g_autoptr(JsonBuilder) builder = NULL;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  companion_json_add_string (builder, "orderId", order->id);
  companion_json_add_string (builder, "adapterId", crossing_adapter_to_string (order->adapter));
  companion_json_add_string (builder, "kind", crossing_kind_to_string (order->kind));
  companion_json_add_string (builder, "status", "created");
  companion_json_add_string (builder, "claimToken", claim_token);
  companion_json_add_string (builder, "claimUrl", claim_url);
  companion_json_add_string (builder, "eventToken", event_token);
  companion_json_add_string (builder, "desktopToken", desktop_token);
  companion_json_add_int (builder, "expiresAt", order->expires_at);
  if (order->challenge_id_hash != NULL)
    companion_json_add_string (builder, "challengeId", order->challenge_id);
  if (order->identified)
    companion_json_add_string (builder, "subject", order->subject);
  if (user_code != NULL)
    {
      g_autofree char *shown = g_strdup_printf ("%.4s-%s", user_code, user_code + 4);
      g_autofree char *uri = g_strconcat (public_url, "/cross-device/code", NULL);

      companion_json_add_string (builder, "userCode", shown);
      companion_json_add_string (builder, "verificationUri", uri);
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static char *
draw_check_code (void)
{
  return g_strdup_printf ("%02u", 10 + randombytes_uniform (90));
}

/* Claims a loaded order: a new challenge token and, when check codes are on
 * or @check_code, the check code; the compare-and-set lets one phone in. */
static JsonNode *
claim_order (CompanionEngine  *self,
             CompanionOrder   *order,
             gboolean          check_code,
             GError          **error)
{
  g_autofree char *challenge_token = NULL;
  g_autofree char *challenge_hash = NULL;
  g_autofree char *code = NULL;
  CompanionOrderChange change = { 0, };
  JsonNode *response;

  if (!check_action (order, COMPANION_ACTION_CLAIM, error))
    return NULL;

  challenge_token = crossing_token_new (CROSSING_TOKEN_BYTES);
  challenge_hash = crossing_token_hash (challenge_token);
  change.challenge_token_hash = challenge_hash;
  if (self->config->check_code || check_code)
    {
      code = draw_check_code ();
      change.check_code = code;
      order->check_code = g_strdup (code);
    }

  /* Exclusive: of two phones racing here, the compare-and-set lets one in. */
  if (!transition (self, order, COMPANION_ACTION_CLAIM, &change, error))
    {
      if (g_error_matches (*error, CROSSING_ERROR, CROSSING_ERROR_TRANSITION_RACE))
        {
          g_clear_error (error);
          fail (error, CROSSING_ERROR_ALREADY_CLAIMED);
        }
      return NULL;
    }

  response = ok_response (order);
  json_object_set_string_member (json_node_get_object (response), "challengeToken",
                                 challenge_token);
  return response;
}

JsonNode *
companion_engine_claim (CompanionEngine  *self,
                        const char       *order_id,
                        const char       *claim_token,
                        GError          **error)
{
  g_autoptr(CompanionOrder) order = NULL;

  g_return_val_if_fail (COMPANION_IS_ENGINE (self), NULL);

  order = LOAD (self, order_id, claim_token, claim_token_hash, CROSSING_ERROR_INVALID_CLAIM_TOKEN,
                error);
  if (order == NULL)
    return NULL;
  return claim_order (self, order, FALSE, error);
}

/* RATE_LIMITED while @window is at @limit. */
static gboolean
within_misses (const CompanionMissWindow  *window,
               guint                       limit,
               gint64                      now,
               guint                      *out_retry_after,
               GError                    **error)
{
  if (window->misses < limit)
    return TRUE;
  if (out_retry_after != NULL)
    *out_retry_after = (guint) MAX (1, (window->window_ends - now + 999) / 1000);
  return fail_message (error, CROSSING_ERROR_RATE_LIMITED,
                       "Too many wrong codes; try again in a minute, or scan the QR code");
}

JsonNode *
companion_engine_claim_by_code (CompanionEngine  *self,
                                const char       *user_code,
                                const char       *client_ip,
                                guint            *out_retry_after,
                                GError          **error)
{
  g_autoptr(CompanionOrder) order = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *scope = NULL;
  CompanionMissWindow mine = { 0, };
  CompanionMissWindow all = { 0, };
  gint64 now;
  JsonNode *response;

  g_return_val_if_fail (COMPANION_IS_ENGINE (self), NULL);
  g_return_val_if_fail (user_code != NULL, NULL);

  code = companion_user_code_normalize (user_code);
  if (code == NULL)
    {
      fail_message (error, CROSSING_ERROR_INVALID_REQUEST,
                    "The code must be 8 letters of BCDFGHJKLMNPQRSTVWXZ, as XXXX-XXXX");
      return NULL;
    }

  /* Past either allowance every code claim waits, a right one too. */
  now = crossing_now_ms ();
  scope = companion_limits_client_key (client_ip);
  if (!companion_store_get_user_code_misses (self->store, scope, now, &mine, error) ||
      !companion_store_get_user_code_misses (self->store, COMPANION_USER_CODE_MISSES_ALL, now,
                                             &all, error))
    {
      store_failed (error);
      return NULL;
    }
  if (!within_misses (&mine, self->config->user_code_misses_per_minute_per_ip, now,
                      out_retry_after, error) ||
      !within_misses (&all, self->config->user_code_misses_per_minute, now, out_retry_after,
                      error))
    return NULL;

  hash = crossing_token_hash (code);
  order = companion_store_get_order_by_user_code (self->store, hash, now, &local_error);
  if (order == NULL)
    {
      if (!g_error_matches (local_error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          store_failed (error);
          return NULL;
        }
      if (!companion_store_add_user_code_miss (self->store, scope, now,
                                               COMPANION_USER_CODE_WINDOW_MS, &mine, error) ||
          !companion_store_add_user_code_miss (self->store, COMPANION_USER_CODE_MISSES_ALL, now,
                                               COMPANION_USER_CODE_WINDOW_MS, &all, error))
        {
          store_failed (error);
          return NULL;
        }
      fail (error, CROSSING_ERROR_INVALID_USER_CODE);
      return NULL;
    }

  /* The code only claims: the check code stays mandatory after it. */
  response = claim_order (self, order, TRUE, error);
  if (response == NULL &&
      (g_error_matches (*error, CROSSING_ERROR, CROSSING_ERROR_ALREADY_CLAIMED) ||
       g_error_matches (*error, CROSSING_ERROR, CROSSING_ERROR_ORDER_EXPIRED) ||
       g_error_matches (*error, CROSSING_ERROR, CROSSING_ERROR_TRANSITION_CONFLICT)))
    {
      /* Lost to another claim meanwhile: one answer, no oracle. */
      g_clear_error (error);
      fail (error, CROSSING_ERROR_INVALID_USER_CODE);
    }
  return response;
}

/* The desktop that started the order, as the companion sees it: never
 * signed, so the phone may call it an estimate. */
static void
add_requester (CompanionEngine      *self,
               JsonBuilder          *b,
               const CompanionOrder *order)
{
  g_autofree char *device = companion_requester_device (order->requester_user_agent);
  g_autoptr(CompanionLocation) location = NULL;

  if (self->geoip != NULL)
    location = companion_geoip_lookup (self->geoip, order->requester_ip);

  json_builder_begin_object (b);
  companion_json_add_string (b, "ip", order->requester_ip != NULL ? order->requester_ip : "");
  companion_json_add_string (b, "userAgent", order->requester_user_agent != NULL
                                               ? order->requester_user_agent
                                               : "");
  companion_json_add_string (b, "device", device);
  json_builder_set_member_name (b, "location");
  if (location == NULL)
    json_builder_add_null_value (b);
  else
    {
      json_builder_begin_object (b);
      companion_json_add_string (b, "country", location->country);
      companion_json_add_string (b, "countryName", location->country_name);
      companion_json_add_string (b, "city", location->city);
      json_builder_end_object (b);
    }
  companion_json_add_string (b, "network", companion_requester_network (order->requester_ip));
  json_builder_end_object (b);
}

static JsonNode *
build_envelope (CompanionEngine      *self,
                const CompanionOrder *order)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_auto(GStrv) details = NULL;
  gboolean login = order->kind == CROSSING_KIND_LOGIN;

  json_builder_begin_object (b);
  companion_json_add_string (b, "orderId", order->id);
  companion_json_add_string (b, "adapterId", crossing_adapter_to_string (order->adapter));
  companion_json_add_string (b, "status", crossing_status_to_string (order->status));
  companion_json_add_string (b, "action", login ? "auth.login" : "order.approve");
  companion_json_add_string (b, "challengeId", order->challenge_id);
  companion_json_add_string (b, "kind", crossing_kind_to_string (order->kind));
  companion_json_add_string (b, "origin", order->origin);
  companion_json_add_string (b, "nonce", order->nonce);
  companion_json_add_int (b, "issuedAt", order->issued_at);
  companion_json_add_int (b, "expiresAt", order->expires_at);
  companion_json_add_int (b, "exp", order->expires_at / 1000);
  json_builder_set_member_name (b, "display");
  json_builder_begin_object (b);
  companion_json_add_string (b, "title", order->title);
  companion_json_add_string (b, "summary", order->summary);
  json_builder_end_object (b);
  if (order->payload_hash != NULL)
    {
      companion_json_add_string (b, "payloadHash", order->payload_hash);
    }
  companion_json_add_string (b, "requestId", order->id);
  companion_json_add_string (b, "resource", companion_order_redirect_to (order));
  /* The lower-case lines at the end of the message, as an object. */
  details = companion_order_details (order);
  json_builder_set_member_name (b, "details");
  json_builder_begin_object (b);
  for (guint i = 0; details[i] != NULL; i += 2)
    companion_json_add_string (b, details[i], details[i + 1]);
  json_builder_end_object (b);
  if (order->identified)
    companion_json_add_string (b, "subject", order->subject);
  companion_json_add_string (b, "message", order->message);
  companion_json_add_string (b, "appName", order->app_name);
  json_builder_set_member_name (b, "requester");
  add_requester (self, b, order);
  json_builder_set_member_name (b, "checkCodeRequired");
  json_builder_add_boolean_value (b, order->check_code != NULL);
  companion_adapter_add_envelope (self->config, order, b);
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

JsonNode *
companion_engine_challenge (CompanionEngine  *self,
                            const char       *order_id,
                            const char       *challenge_token,
                            GError          **error)
{
  g_autoptr(CompanionOrder) order = NULL;
  CompanionOrderChange change = { 0, };

  g_return_val_if_fail (COMPANION_IS_ENGINE (self), NULL);

  order = LOAD (self, order_id, challenge_token, challenge_token_hash,
                CROSSING_ERROR_INVALID_CHALLENGE_TOKEN, error);
  if (order == NULL || !check_action (order, COMPANION_ACTION_CHALLENGE, error))
    return NULL;

  /* Reading it again (a reload on the phone) changes nothing. */
  if (order->status == CROSSING_STATUS_CLAIMED &&
      !transition (self, order, COMPANION_ACTION_CHALLENGE, &change, error))
    return NULL;

  return build_envelope (self, order);
}

CompanionOrder *
companion_engine_get_by_challenge_id (CompanionEngine  *self,
                                      const char       *challenge_id,
                                      GError          **error)
{
  g_autoptr(CompanionOrder) order = NULL;
  g_autofree char *hash = NULL;

  g_return_val_if_fail (COMPANION_IS_ENGINE (self), NULL);
  g_return_val_if_fail (challenge_id != NULL, NULL);

  /* A credential: found by its hash, never by comparing the text. */
  hash = crossing_token_hash (challenge_id);
  order = companion_store_get_order_by_challenge_hash (self->store, hash, error);
  if (order == NULL)
    {
      if (error == NULL || *error == NULL)
        fail (error, CROSSING_ERROR_ORDER_NOT_FOUND);
      return NULL;
    }

  catch_up_expiry (self, order);
  return g_steal_pointer (&order);
}

JsonNode *
companion_engine_open_by_challenge_id (CompanionEngine  *self,
                                       const char       *challenge_id,
                                       gboolean          check_code,
                                       GError          **error)
{
  g_autoptr(CompanionOrder) order = NULL;
  g_autofree char *code = NULL;
  CompanionOrderChange claim = { 0, };
  CompanionOrderChange challenge = { 0, };

  g_return_val_if_fail (COMPANION_IS_ENGINE (self), NULL);

  order = companion_engine_get_by_challenge_id (self, challenge_id, error);
  if (order == NULL)
    return NULL;

  /* No challenge token: the challenge ID stays the phone's only credential,
   * so the cross-device routes cannot act on this order. */
  if (order->status == CROSSING_STATUS_CREATED)
    {
      if (check_code)
        {
          code = draw_check_code ();
          claim.check_code = code;
          order->check_code = g_strdup (code);
        }
      if (!transition (self, order, COMPANION_ACTION_CLAIM, &claim, error))
        return NULL;
    }
  if (order->status == CROSSING_STATUS_CLAIMED &&
      !transition (self, order, COMPANION_ACTION_CHALLENGE, &challenge, error))
    return NULL;

  /* Reading it again changes nothing; approved is still worth showing. */
  if (order->status != CROSSING_STATUS_WAITING_USER &&
      order->status != CROSSING_STATUS_APPROVED &&
      !check_action (order, COMPANION_ACTION_CHALLENGE, error))
    return NULL;

  return build_envelope (self, order);
}

static gboolean
check_code_matches (const char *expected,
                    const char *given)
{
  return given != NULL && strlen (given) == strlen (expected) &&
         sodium_memcmp (given, expected, strlen (expected)) == 0;
}

/* Counts a wrong code; the third rejects the order. */
static void
wrong_check_code (CompanionEngine  *self,
                  CompanionOrder   *order,
                  GError          **error)
{
  CompanionOrderChange change = { 0, };
  g_autoptr(GError) local_error = NULL;
  g_autofree char *message = NULL;
  guint failures = 0;

  /* A CONFLICT (the order moved on meanwhile) is a lost race. */
  if (!companion_store_add_check_code_failure (self->store, order->id, &failures, error))
    {
      store_failed (error);
      return;
    }

  if (failures >= COMPANION_MAX_CHECK_CODE_FAILURES)
    {
      if (!transition_with_reason (self, order, COMPANION_ACTION_REJECT, &change,
                                   COMPANION_REASON_CHECK_CODE, &local_error))
        g_debug ("Rejecting after wrong codes lost a race: %s", local_error->message);
      fail_message (error, CROSSING_ERROR_CHECK_CODE_MISMATCH,
                    "The check code does not match; the request was rejected after 3 tries");
      return;
    }

  message = g_strdup_printf ("The check code does not match the one on the desktop "
                             "(%u tries left)", COMPANION_MAX_CHECK_CODE_FAILURES - failures);
  fail_message (error, CROSSING_ERROR_CHECK_CODE_MISMATCH, message);
}

/* Counts an approval by another signer; the third rejects the order. The
 * order stays as it was: the user may have picked the wrong account. */
static void
subject_mismatch (CompanionEngine  *self,
                  CompanionOrder   *order,
                  GError          **error)
{
  CompanionOrderChange change = { 0, };
  g_autoptr(GError) local_error = NULL;
  g_autofree char *shown = crossing_subject_short_form (order->subject);
  g_autofree char *message = NULL;
  guint mismatches = 0;

  if (!companion_store_add_subject_mismatch (self->store, order->id, &mismatches, error))
    {
      store_failed (error);
      return;
    }

  if (mismatches >= COMPANION_MAX_SUBJECT_MISMATCHES)
    {
      if (!transition_with_reason (self, order, COMPANION_ACTION_REJECT, &change,
                                   COMPANION_REASON_SUBJECT_MISMATCH, &local_error))
        g_debug ("Rejecting after other signers lost a race: %s", local_error->message);
      message = g_strdup_printf ("Only %s can approve this request; it was rejected after %u "
                                 "tries", shown, COMPANION_MAX_SUBJECT_MISMATCHES);
    }
  else
    message = g_strdup_printf ("Only %s can approve this request (%u tries left)", shown,
                               COMPANION_MAX_SUBJECT_MISMATCHES - mismatches);
  fail_message (error, CROSSING_ERROR_SUBJECT_MISMATCH, message);
}

JsonNode *
companion_engine_approve (CompanionEngine                *self,
                          const CompanionApproveRequest  *request,
                          GError                        **error)
{
  g_autoptr(CompanionOrder) order = NULL;
  g_auto(CompanionAdapterResult) proof = { 0, };
  CompanionOrderChange change = { 0, };
  const char *subject;
  gint64 now;

  g_return_val_if_fail (COMPANION_IS_ENGINE (self), NULL);

  if (request->challenge_id != NULL)
    {
      order = companion_engine_get_by_challenge_id (self, request->challenge_id, error);
      if (order != NULL && order->adapter != request->adapter)
        {
          fail (error, CROSSING_ERROR_UNSUPPORTED_ADAPTER);
          return NULL;
        }
    }
  else
    order = LOAD (self, request->order_id, request->challenge_token, challenge_token_hash,
                  CROSSING_ERROR_INVALID_CHALLENGE_TOKEN, error);
  if (order == NULL || !check_action (order, COMPANION_ACTION_APPROVE, error))
    return NULL;

  if (request->origin != NULL && g_strcmp0 (request->origin, order->origin) != 0)
    {
      fail (error, CROSSING_ERROR_ORIGIN_MISMATCH);
      return NULL;
    }

  if (order->check_code != NULL && !check_code_matches (order->check_code, request->check_code))
    {
      wrong_check_code (self, order, error);
      return NULL;
    }

  if (!companion_adapter_verify (self->config, self->store, order, request, &proof, error))
    return NULL;
  subject = proof.subject;

  /* Only after a valid proof, so it tells nothing to someone without a key. */
  if (order->identified && g_strcmp0 (subject, order->subject) != 0)
    {
      subject_mismatch (self, order, error);
      return NULL;
    }

  /* Say it now, not at finalize, so the phone can tell its user. */
  if (order->kind == CROSSING_KIND_LOGIN && !self->config->registration_open)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(CompanionUser) user = companion_store_get_user_by_subject (self->store, subject,
                                                                           &local_error);
      if (user == NULL)
        {
          if (g_error_matches (local_error, COMPANION_STORE_ERROR,
                               COMPANION_STORE_ERROR_NOT_FOUND))
            fail (error, CROSSING_ERROR_UNABLE_TO_RESOLVE_APPROVED_LOGIN);
          else
            {
              companion_error_from_store (&local_error);
              g_propagate_error (error, g_steal_pointer (&local_error));
            }
          return NULL;
        }
    }

  /* What the adapter keeps (a passkey, its sign count) is stored only for a
   * proof that has passed every check. */
  if (!companion_adapter_keep (self->store, order, &proof, error))
    return NULL;

  now = crossing_now_ms ();
  change.subject = subject;
  change.public_key_hex = proof.public_key_hex;
  change.signature_hex = proof.signature_hex;
  change.approved_at = now;
  change.expires_at = now + (gint64) self->config->finalize_grace * 1000;
  if (!transition (self, order, COMPANION_ACTION_APPROVE, &change, error))
    return NULL;

  schedule_expiry (self, change.expires_at);
  return ok_response (order);
}

JsonNode *
companion_engine_reject (CompanionEngine  *self,
                         const char       *order_id,
                         const char       *challenge_token,
                         GError          **error)
{
  g_autoptr(CompanionOrder) order = NULL;
  CompanionOrderChange change = { 0, };

  g_return_val_if_fail (COMPANION_IS_ENGINE (self), NULL);

  order = LOAD (self, order_id, challenge_token, challenge_token_hash,
                CROSSING_ERROR_INVALID_CHALLENGE_TOKEN, error);
  if (order == NULL || !check_action (order, COMPANION_ACTION_REJECT, error) ||
      !transition (self, order, COMPANION_ACTION_REJECT, &change, error))
    return NULL;

  return ok_response (order);
}

JsonNode *
companion_engine_cancel (CompanionEngine  *self,
                         const char       *order_id,
                         const char       *desktop_token,
                         GError          **error)
{
  g_autoptr(CompanionOrder) order = NULL;
  CompanionOrderChange change = { 0, };

  g_return_val_if_fail (COMPANION_IS_ENGINE (self), NULL);

  order = LOAD (self, order_id, desktop_token, desktop_token_hash,
                CROSSING_ERROR_INVALID_DESKTOP_TOKEN, error);
  if (order == NULL || !check_action (order, COMPANION_ACTION_CANCEL, error) ||
      !transition (self, order, COMPANION_ACTION_CANCEL, &change, error))
    return NULL;

  return ok_response (order);
}

static JsonNode *
finalized_response (CompanionEngine       *self,
                    const CompanionOrder  *order,
                    const char            *session_token,
                    GError               **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ok");
  json_builder_add_boolean_value (b, TRUE);
  companion_json_add_string (b, "orderId", order->id);
  companion_json_add_string (b, "status", "finalized");
  companion_json_add_string (b, "kind", crossing_kind_to_string (order->kind));
  companion_json_add_string (b, "redirectTo", companion_order_redirect_to (order));
  if (session_token != NULL)
    {
      companion_json_add_string (b, "token", session_token);
    }
  else
    {
      json_builder_set_member_name (b, "proofArtifact");
      json_builder_begin_object (b);
      companion_json_add_string (b, "adapterId", crossing_adapter_to_string (order->adapter));
      companion_json_add_string (b, "subject", order->subject);
      if (!companion_adapter_add_artifact (self->store, order, b, error))
        return NULL;
      json_builder_end_object (b);
    }
  /* issue 12: what the order's feature adds (written by the engine). */
  if (order->approved_extra != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, order->approved_extra, -1, NULL) &&
          JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          JsonObject *extra = json_node_get_object (json_parser_get_root (parser));
          JsonObjectIter iter;
          const char *key;
          JsonNode *value;

          json_object_iter_init (&iter, extra);
          while (json_object_iter_next (&iter, &key, &value))
            {
              json_builder_set_member_name (b, key);
              json_builder_add_value (b, json_node_copy (value));
            }
        }
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* The session comes from core's one way of making them; the store
 * finalizes the order in the same transaction. */
static gboolean
finalize_login (CompanionEngine  *self,
                CompanionOrder   *order,
                const char       *requester_ip,
                const char       *requester_user_agent,
                char            **out_session_token,
                GError          **error)
{
  g_autofree char *data = companion_engine_event_data (order, CROSSING_STATUS_FINALIZED);
  CompanionSessionRequest request = {
    .subject = order->subject,
    .create_user = self->config->registration_open,
    .ttl_seconds = self->config->session_ttl,
    .ip_address = requester_ip,
    .user_agent = requester_user_agent,
    .order_id = order->id,
    .event_data = data,
  };
  gint64 seq = 0;

  if (!companion_sessions_create (self->store, &request, out_session_token, &seq, error))
    return FALSE;

  g_debug ("Order %.8s…: approved -> finalized (session created)", order->id);
  order->status = CROSSING_STATUS_FINALIZED;
  order->event_seq = seq;
  return TRUE;
}

JsonNode *
companion_engine_finalize (CompanionEngine  *self,
                           const char       *order_id,
                           const char       *desktop_token,
                           const char       *requester_ip,
                           const char       *requester_user_agent,
                           char            **out_session_token,
                           GError          **error)
{
  g_autoptr(CompanionOrder) order = NULL;
  g_autofree char *session_token = NULL;
  CompanionOrderChange change = { 0, };

  g_return_val_if_fail (COMPANION_IS_ENGINE (self), NULL);

  order = LOAD (self, order_id, desktop_token, desktop_token_hash,
                CROSSING_ERROR_INVALID_DESKTOP_TOKEN, error);
  if (order == NULL)
    return NULL;

  /* A proof can be fetched again; a session cannot be made twice. */
  if (order->kind != CROSSING_KIND_LOGIN && order->status == CROSSING_STATUS_FINALIZED)
    return finalized_response (self, order, NULL, error);

  if (!check_action (order, COMPANION_ACTION_FINALIZE, error))
    return NULL;

  if (order->kind == CROSSING_KIND_LOGIN)
    {
      if (!finalize_login (self, order, requester_ip, requester_user_agent, &session_token,
                           error))
        return NULL;
      if (out_session_token != NULL)
        *out_session_token = g_strdup (session_token);
      return finalized_response (self, order, session_token, error);
    }

  change.finalized_at = crossing_now_ms ();
  if (!transition (self, order, COMPANION_ACTION_FINALIZE, &change, error))
    {
      /* Another finalize won: the artifact is the same, hand it out. */
      if (!g_error_matches (*error, CROSSING_ERROR, CROSSING_ERROR_TRANSITION_RACE))
        return NULL;
      g_clear_error (error);
    }
  return finalized_response (self, order, NULL, error);
}

CompanionOrder *
companion_engine_open_events (CompanionEngine  *self,
                              const char       *order_id,
                              const char       *event_token,
                              GError          **error)
{
  g_return_val_if_fail (COMPANION_IS_ENGINE (self), NULL);

  return LOAD (self, order_id, event_token, event_token_hash, CROSSING_ERROR_INVALID_EVENT_TOKEN,
               error);
}

/* ---- status polling ----------------------------------------------------- */

/* The latest event's data (or the created order's, which has none yet)
 * plus what a poller needs to know when and how to go on. */
static JsonNode *
status_response (CompanionEngine       *self,
                 const CompanionOrder  *order,
                 guint                  interval,
                 GError               **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) events = NULL;
  g_autofree char *created = NULL;
  const char *data;
  JsonNode *root;
  JsonObject *object;

  if (order->event_seq > 0)
    {
      events = companion_store_list_events (self->store, order->id, order->event_seq - 1, error);
      if (events == NULL)
        {
          store_failed (error);
          return NULL;
        }
    }
  if (events != NULL && events->len > 0)
    data = ((CompanionEvent *) g_ptr_array_index (events, events->len - 1))->data;
  else
    data = created = companion_engine_event_data (order, order->status);

  /* Our own text, written by companion_engine_event_data(). */
  if (!json_parser_load_from_data (parser, data, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      fail (error, CROSSING_ERROR_INTERNAL);
      return NULL;
    }

  root = json_node_copy (json_parser_get_root (parser));
  object = json_node_get_object (root);
  /* The event may be older than the status the clock gave the order. */
  json_object_set_string_member (object, "status", crossing_status_to_string (order->status));
  json_object_remove_member (object, "checkCode");
  if (order->check_code != NULL &&
      (order->status == CROSSING_STATUS_CLAIMED || order->status == CROSSING_STATUS_WAITING_USER))
    json_object_set_string_member (object, "checkCode", order->check_code);
  json_object_set_int_member (object, "sequence", order->event_seq);
  json_object_set_int_member (object, "expiresAt", order->expires_at);
  json_object_set_int_member (object, "interval", interval);
  return root;
}

JsonNode *
companion_engine_status (CompanionEngine  *self,
                         const char       *order_id,
                         const char       *event_token,
                         guint            *out_interval,
                         GError          **error)
{
  g_autoptr(CompanionOrder) order = NULL;

  g_return_val_if_fail (COMPANION_IS_ENGINE (self), NULL);

  order = LOAD (self, order_id, event_token, event_token_hash, CROSSING_ERROR_INVALID_EVENT_TOKEN,
                error);
  if (order == NULL)
    return NULL;

  /* A compare-and-set on what was read: of two polls that race, one is
   * answered and the other is early. */
  for (guint attempt = 0;; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      guint interval = order->poll_interval != 0 ? order->poll_interval
                                                 : self->config->poll_interval;
      gint64 now = crossing_now_ms ();
      gboolean early = order->last_poll_at != 0 &&
                       now < order->last_poll_at + (gint64) interval * 1000 -
                       COMPANION_POLL_SLACK_MS;
      guint next = early ? MIN (interval + COMPANION_POLL_SLOW_DOWN_STEP,
                                MAX (COMPANION_POLL_MAX_INTERVAL, interval))
                         : interval;

      if (companion_store_update_poll (self->store, order->id, order->last_poll_at,
                                       order->poll_interval, early ? order->last_poll_at : now,
                                       next, &local_error))
        {
          if (out_interval != NULL)
            *out_interval = next;
          if (early)
            {
              fail (error, CROSSING_ERROR_SLOW_DOWN);
              return NULL;
            }
          return status_response (self, order, next, error);
        }

      if (!g_error_matches (local_error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT) ||
          attempt == 3)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          store_failed (error);
          return NULL;
        }

      /* Someone polled meanwhile: decide again on what they left. */
      g_clear_pointer (&order, companion_order_free);
      order = companion_store_get_order (self->store, order_id, error);
      if (order == NULL)
        {
          store_failed (error);
          return NULL;
        }
    }
}

static void
companion_engine_dispose (GObject *object)
{
  CompanionEngine *self = (CompanionEngine *) object;

  g_clear_handle_id (&self->expiry_id, g_source_remove);
  g_clear_object (&self->store);
  g_clear_object (&self->geoip);

  G_OBJECT_CLASS (companion_engine_parent_class)->dispose (object);
}

static void
companion_engine_class_init (CompanionEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = companion_engine_dispose;
}

static void
companion_engine_init (CompanionEngine *self)
{
}

CompanionEngine *
companion_engine_new (CompanionConfig *config,
                      CompanionStore  *store)
{
  CompanionEngine *self;

  g_return_val_if_fail (config != NULL && config->public_origin != NULL, NULL);
  g_return_val_if_fail (COMPANION_IS_STORE (store), NULL);

  crossing_crypto_init ();

  self = g_object_new (COMPANION_TYPE_ENGINE, NULL);
  self->config = config;
  self->store = g_object_ref (store);
  return self;
}
