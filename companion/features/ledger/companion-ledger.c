/* companion-ledger.c: balances, an append-only journal and holds
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The routes of PROTOCOL.md "Ledger". Reads need a session (or the admin
 * key, with ?userId=); mutations are off unless the operator turns them on,
 * then need the admin key or an admin's session, in the contract's order:
 * mutations on, credentials, body, idempotency, business rules. Each
 * mutation is one store posting (companion-ledger-record.h): the key, the
 * balance check, the entry and the answer stored with the key share one
 * write transaction. What each outcome means on the wire is decided here.
 */
#define G_LOG_DOMAIN "companion-ledger"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "crossing-token.h"

#include "companion-admin-key.h"
#include "companion-core.h"
#include "companion-cross-device.h"
#include "companion-errors.h"
#include "companion-ledger.h"
#include "companion-ledger-cli.h"
#include "companion-ledger-parse.h"

#define PREFIX                    "/ledger"
#define DEFAULT_HOLD_SECONDS      900
#define MAX_HOLD_SECONDS          604800
#define DEFAULT_ENTRIES_LIMIT     20
#define MAX_ENTRIES_LIMIT         100
#define MAX_ID_CHARS              128
#define EXPIRY_BATCH              100
/* The timer wakes at least this often, whatever the clock does. */
#define MAX_TIMER_MS              60000

typedef struct {
  char  *code;
  guint  scale;
} LedgerAsset;

typedef struct {
  CompanionCore *core;
  CompanionEngine *engine;         /* cross-device's, for holds approved on the phone; nullable */
  GPtrArray     *assets;           /* LedgerAsset, as configured */
  guint          expiry_id;
  gint64         expiry_at;        /* when expiry_id fires, or G_MAXINT64 */
} CompanionLedger;

typedef enum {
  ROUTE_CREDIT,
  ROUTE_DEBIT,
  ROUTE_ADJUST,
  ROUTE_RESERVE,
  ROUTE_RELEASE,
  ROUTE_CAPTURE,
} MutationRoute;

/* The route, and the type of the entry it writes. */
static const char *const route_names[] = {
  [ROUTE_CREDIT] = "credit",
  [ROUTE_DEBIT] = "debit",
  [ROUTE_ADJUST] = "adjust",
  [ROUTE_RESERVE] = "reserve",
  [ROUTE_RELEASE] = "release",
  [ROUTE_CAPTURE] = "capture",
};

static void ledger_arm_expiry (CompanionLedger *self,
                               gint64           at);

static void
ledger_asset_free (LedgerAsset *asset)
{
  g_free (asset->code);
  g_free (asset);
}

static const LedgerAsset *
find_asset_in (GPtrArray  *assets,
               const char *code)
{
  for (guint i = 0; code != NULL && i < assets->len; i++)
    {
      const LedgerAsset *asset = g_ptr_array_index (assets, i);

      if (strcmp (asset->code, code) == 0)
        return asset;
    }
  return NULL;
}

static const LedgerAsset *
find_asset (CompanionLedger *self,
            const char      *code)
{
  return find_asset_in (self->assets, code);
}

/* The configured assets ("code:scale", checked by the config). */
static GPtrArray *
assets_from_config (const char * const *values)
{
  GPtrArray *assets = g_ptr_array_new_with_free_func ((GDestroyNotify) ledger_asset_free);

  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    {
      LedgerAsset *asset = g_new0 (LedgerAsset, 1);

      if (!companion_ledger_parse_asset (values[i], &asset->code, &asset->scale))
        {
          g_warning ("Ignoring the ledger asset \"%s\"", values[i]);
          ledger_asset_free (asset);
          continue;
        }
      g_ptr_array_add (assets, asset);
    }
  return assets;
}

/* ---- credentials --------------------------------------------------------- */

/* TRUE when @token is a key whose SHA-256 the operator configured. Every
 * configured hash is compared, in constant time. */
static gboolean
admin_key_is_valid (CompanionLedger *self,
                    const char      *token)
{
  CompanionConfig *config = companion_core_get_config (self->core);
  g_autofree char *hash = NULL;
  int matches = 0;

  if (config->ledger_admin_key_sha256 == NULL || strlen (token) > CROSSING_TOKEN_MAX_CHARS)
    return FALSE;
  hash = crossing_sha256_hex (token, strlen (token));
  for (guint i = 0; config->ledger_admin_key_sha256[i] != NULL; i++)
    matches |= sodium_memcmp (hash, config->ledger_admin_key_sha256[i],
                              CROSSING_TOKEN_HASH_CHARS) == 0;
  return matches != 0;
}

typedef enum {
  CALLER_NONE,
  CALLER_ADMIN_KEY,
  CALLER_SESSION,
} CallerKind;

/* Who is asking: the admin key, or a live session and its user; 401
 * UNAUTHORIZED for none or an invalid one (the routes are CHECKS_TOKEN:
 * the core counts that 401 against the client's failed attempts). */
static gboolean
identify_caller (CompanionLedger   *self,
                 CompanionRequest  *request,
                 CallerKind        *out_kind,
                 CompanionUser    **out_user,
                 GError           **error)
{
  const char *token = request->session_token;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hash = NULL;

  *out_kind = CALLER_NONE;
  if (token == NULL || *token == '\0')
    return companion_fail (error, CROSSING_ERROR_UNAUTHORIZED);

  if (g_str_has_prefix (token, COMPANION_ADMIN_KEY_PREFIX))
    {
      if (!admin_key_is_valid (self, token))
        return companion_fail (error, CROSSING_ERROR_UNAUTHORIZED);
      *out_kind = CALLER_ADMIN_KEY;
      return TRUE;
    }

  if (!crossing_token_is_well_formed (token))
    return companion_fail (error, CROSSING_ERROR_UNAUTHORIZED);
  hash = crossing_token_hash (token);
  if (!companion_store_lookup_session (companion_core_get_store (self->core), hash,
                                       crossing_now_ms (), NULL, out_user, &local_error))
    {
      if (!g_error_matches (local_error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          companion_error_from_store (error);
          return FALSE;
        }
      return companion_fail (error, CROSSING_ERROR_UNAUTHORIZED);
    }
  *out_kind = CALLER_SESSION;
  return TRUE;
}

/* The user whose ledger a read shows: the session's own, or with admin
 * credentials the one ?userId= names. */
static CompanionUser *
authorize_read (CompanionLedger   *self,
                CompanionRequest  *request,
                GError           **error)
{
  g_autoptr(CompanionUser) caller = NULL;
  g_autoptr(CompanionUser) user = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *user_id = companion_request_get_query (request, "userId");
  CallerKind kind;

  if (!identify_caller (self, request, &kind, &caller, error))
    return NULL;

  if (user_id == NULL)
    {
      if (kind == CALLER_SESSION)
        return g_steal_pointer (&caller);
      companion_invalid_request (error, "The admin key reads a ledger by ?userId=");
      return NULL;
    }
  if (kind == CALLER_SESSION && caller->role != COMPANION_ROLE_ADMIN)
    {
      companion_fail (error, CROSSING_ERROR_FORBIDDEN);
      return NULL;
    }
  if (strlen (user_id) > MAX_ID_CHARS || !crossing_string_is_clean (user_id))
    {
      companion_invalid_request (error, "The parameter userId is not valid");
      return NULL;
    }

  user = companion_store_get_user_by_id (companion_core_get_store (self->core), user_id,
                                         &local_error);
  if (user == NULL)
    {
      if (g_error_matches (local_error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND))
        companion_fail (error, CROSSING_ERROR_USER_NOT_FOUND);
      else
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          companion_error_from_store (error);
        }
      return NULL;
    }
  return g_steal_pointer (&user);
}

/* Mutations on, then credentials: the admin key or an admin's session. */
static gboolean
authorize_mutation (CompanionLedger   *self,
                    CompanionRequest  *request,
                    GError           **error)
{
  g_autoptr(CompanionUser) caller = NULL;
  CallerKind kind;

  if (!companion_core_get_config (self->core)->ledger_mutations)
    return companion_fail (error, CROSSING_ERROR_LEDGER_MUTATIONS_DISABLED);
  if (!identify_caller (self, request, &kind, &caller, error))
    return FALSE;
  if (kind == CALLER_SESSION && caller->role != COMPANION_ROLE_ADMIN)
    return companion_fail (error, CROSSING_ERROR_FORBIDDEN);
  return TRUE;
}

/* ---- answers ------------------------------------------------------------- */

static void
add_entry (JsonBuilder                *b,
           const CompanionLedgerEntry *entry)
{
  json_builder_begin_object (b);
  companion_json_add_string (b, "id", entry->id);
  companion_json_add_string (b, "type", entry->type);
  companion_json_add_string (b, "asset", entry->asset);
  companion_json_add_int (b, "amount", entry->amount);
  companion_json_add_int (b, "postedDelta", entry->posted_delta);
  companion_json_add_int (b, "reservedDelta", entry->reserved_delta);
  companion_json_add_int (b, "posted", entry->posted);
  companion_json_add_int (b, "reserved", entry->reserved);
  companion_json_add_string (b, "reason", entry->reason);
  companion_json_add_string (b, "reservationId", entry->hold_id);
  companion_json_add_string (b, "orderId", entry->order_id);
  companion_json_add_int (b, "createdAt", entry->created_at);
  json_builder_end_object (b);
}

static void
add_balance (JsonBuilder                  *b,
             const LedgerAsset            *asset,
             const CompanionLedgerBalance *balance)
{
  json_builder_begin_object (b);
  companion_json_add_string (b, "asset", asset->code);
  companion_json_add_int (b, "scale", asset->scale);
  companion_json_add_int (b, "posted", balance->posted);
  companion_json_add_int (b, "reserved", balance->reserved);
  companion_json_add_int (b, "available", balance->posted - balance->reserved);
  json_builder_end_object (b);
}

static void
add_amount_or_null (JsonBuilder *b,
                    const char  *name,
                    gint64       value)
{
  json_builder_set_member_name (b, name);
  if (value < 0)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, value);
}

static void
add_hold (JsonBuilder               *b,
          const CompanionLedgerHold *hold)
{
  json_builder_begin_object (b);
  companion_json_add_string (b, "id", hold->id);
  companion_json_add_string (b, "userId", hold->user_id);
  companion_json_add_string (b, "asset", hold->asset);
  companion_json_add_int (b, "amount", hold->amount);
  companion_json_add_string (b, "status", companion_hold_status_to_string (hold->status));
  companion_json_add_string (b, "reason", hold->reason);
  companion_json_add_int (b, "expiresAt", hold->expires_at);
  companion_json_add_int (b, "createdAt", hold->created_at);
  add_amount_or_null (b, "capturedAmount", hold->captured_amount);
  add_amount_or_null (b, "releasedAmount", hold->released_amount);
  companion_json_add_string (b, "orderId", hold->order_id);
  json_builder_end_object (b);
}

static char *
to_text (JsonBuilder *b)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);

  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

/* The answer of a mutation, built inside its transaction and stored with
 * its key: {ok, reservation?, entry, balance, order?}. */
static char *
respond_with_order (const CompanionLedgerResult *result,
                    GPtrArray                   *assets,
                    JsonNode                    *order)
{
  const LedgerAsset *asset = find_asset_in (assets, result->entry->asset);
  LedgerAsset unknown = { result->entry->asset, 0 };
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ok");
  json_builder_add_boolean_value (b, TRUE);
  if (result->hold != NULL)
    {
      json_builder_set_member_name (b, "reservation");
      add_hold (b, result->hold);
    }
  json_builder_set_member_name (b, "entry");
  add_entry (b, result->entry);
  json_builder_set_member_name (b, "balance");
  /* A hold made before its asset was unconfigured still resolves. */
  add_balance (b, asset != NULL ? asset : &unknown, &result->balance);
  if (order != NULL)
    {
      json_builder_set_member_name (b, "order");
      json_builder_add_value (b, json_node_copy (order));
    }
  json_builder_end_object (b);
  return to_text (b);
}

static char *
respond (const CompanionLedgerResult *result,
         gpointer                     user_data)
{
  return respond_with_order (result, user_data, NULL);
}

static void
reply_text (CompanionReply *reply,
            guint           status,
            const char     *body)
{
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

  companion_reply_set_header (reply, "Cache-Control", "no-store");
  companion_reply_set_bytes (reply, status, "application/json; charset=utf-8", bytes);
}

/* ---- reads --------------------------------------------------------------- */

static gboolean
handle_account (gpointer           state,
                CompanionRequest  *request,
                CompanionReply    *reply,
                GError           **error)
{
  CompanionLedger *self = state;
  g_autoptr(CompanionUser) user = authorize_read (self, request, error);
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *account_id = NULL;

  if (user == NULL)
    return FALSE;

  account_id = g_strconcat ("user:", user->id, NULL);
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "account");
  json_builder_begin_object (b);
  companion_json_add_string (b, "id", account_id);
  companion_json_add_string (b, "userId", user->id);
  companion_json_add_int (b, "createdAt", user->created_at);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "assets");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->assets->len; i++)
    {
      const LedgerAsset *asset = g_ptr_array_index (self->assets, i);

      json_builder_begin_object (b);
      companion_json_add_string (b, "asset", asset->code);
      companion_json_add_int (b, "scale", asset->scale);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  companion_reply_set_header (reply, "Cache-Control", "no-store");
  companion_reply_take_json (reply, SOUP_STATUS_OK, json_builder_get_root (b));
  return TRUE;
}

/* ?asset=: NULL for all, else a configured asset (UNKNOWN_ASSET). */
static gboolean
read_asset_filter (CompanionLedger         *self,
                   CompanionRequest        *request,
                   const LedgerAsset      **out_asset,
                   GError                 **error)
{
  const char *code = companion_request_get_query (request, "asset");

  *out_asset = NULL;
  if (code == NULL)
    return TRUE;
  *out_asset = find_asset (self, code);
  if (*out_asset == NULL)
    return companion_fail (error, CROSSING_ERROR_UNKNOWN_ASSET);
  return TRUE;
}

static gboolean
handle_balance (gpointer           state,
                CompanionRequest  *request,
                CompanionReply    *reply,
                GError           **error)
{
  CompanionLedger *self = state;
  CompanionStore *store = companion_core_get_store (self->core);
  g_autoptr(CompanionUser) user = authorize_read (self, request, error);
  g_autoptr(JsonBuilder) b = NULL;
  const LedgerAsset *only;
  gint64 now = crossing_now_ms ();

  if (user == NULL || !read_asset_filter (self, request, &only, error))
    return FALSE;

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "balances");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->assets->len; i++)
    {
      const LedgerAsset *asset = g_ptr_array_index (self->assets, i);
      CompanionLedgerBalance balance;

      if (only != NULL && asset != only)
        continue;
      if (!companion_store_ledger_get_balance (store, user->id, asset->code, now, &balance, error))
        {
          companion_error_from_store (error);
          return FALSE;
        }
      add_balance (b, asset, &balance);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  companion_reply_set_header (reply, "Cache-Control", "no-store");
  companion_reply_take_json (reply, SOUP_STATUS_OK, json_builder_get_root (b));
  return TRUE;
}

static gboolean
handle_entries (gpointer           state,
                CompanionRequest  *request,
                CompanionReply    *reply,
                GError           **error)
{
  CompanionLedger *self = state;
  g_autoptr(CompanionUser) user = authorize_read (self, request, error);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *next_cursor = NULL;
  const char *limit_text = companion_request_get_query (request, "limit");
  const char *cursor = companion_request_get_query (request, "cursor");
  const LedgerAsset *asset;
  const char *asset_code;
  guint64 limit = DEFAULT_ENTRIES_LIMIT;
  gint64 before_seq = 0;

  if (user == NULL || !read_asset_filter (self, request, &asset, error))
    return FALSE;
  asset_code = asset != NULL ? asset->code : NULL;
  if (limit_text != NULL &&
      !g_ascii_string_to_unsigned (limit_text, 10, 1, MAX_ENTRIES_LIMIT, &limit, NULL))
    return companion_invalid_request (error, "The parameter limit must be from 1 to %d",
                                      MAX_ENTRIES_LIMIT);
  if (cursor != NULL &&
      !companion_ledger_cursor_parse (cursor, user->id, asset_code, &before_seq))
    return companion_fail (error, CROSSING_ERROR_INVALID_CURSOR);

  /* One more than asked says whether there is a next page. */
  entries = companion_store_ledger_list_entries (companion_core_get_store (self->core), user->id,
                                                 asset_code, before_seq, (guint) limit + 1, error);
  if (entries == NULL)
    {
      companion_error_from_store (error);
      return FALSE;
    }
  if (entries->len > limit)
    {
      const CompanionLedgerEntry *last = g_ptr_array_index (entries, limit - 1);

      next_cursor = companion_ledger_cursor_new (last->seq, user->id, asset_code);
      g_ptr_array_set_size (entries, (guint) limit);
    }

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  for (guint i = 0; i < entries->len; i++)
    add_entry (b, g_ptr_array_index (entries, i));
  json_builder_end_array (b);
  companion_json_add_string (b, "nextCursor", next_cursor);
  json_builder_end_object (b);

  companion_reply_set_header (reply, "Cache-Control", "no-store");
  companion_reply_take_json (reply, SOUP_STATUS_OK, json_builder_get_root (b));
  return TRUE;
}

/* ---- mutations ----------------------------------------------------------- */

/* What a mutation asks, once its body was read. */
typedef struct {
  MutationRoute      route;
  const char        *user_id;
  const LedgerAsset *asset;
  gint64             amount;            /* capture: 0 when absent */
  const char        *reason;
  const char        *key;
  gint64             expires_in;        /* reserve */
  const char        *reservation_id;    /* release, capture */
  /* issue 12, reserve: approved on the phone by the owner's key */
  gboolean           require_approval;
  const char        *return_to;
  const char        *display_title;
} Mutation;

static gboolean
read_reason (CompanionRequest  *request,
             gboolean           required,
             const char        *fallback,
             const char       **out,
             GError           **error)
{
  if (!companion_request_get_string (request, "reason", required,
                                     COMPANION_LEDGER_MAX_REASON_CHARS, out, error))
    return FALSE;
  if (*out == NULL)
    *out = fallback;
  else if (**out == '\0')
    return companion_invalid_request (error, "The field reason must not be empty");
  return TRUE;
}

static gboolean
read_mutation (CompanionLedger   *self,
               CompanionRequest  *request,
               MutationRoute      route,
               Mutation          *m,
               GError           **error)
{
  const char *raw = request->raw_body;
  gsize raw_len = request->raw_body_len;
  const char *asset_code;
  const char *header;

  m->route = route;
  if (route == ROUTE_RELEASE || route == ROUTE_CAPTURE)
    {
      if (!companion_request_get_string (request, "reservationId", TRUE, MAX_ID_CHARS,
                                         &m->reservation_id, error) ||
          (route == ROUTE_CAPTURE &&
           !companion_ledger_read_amount (request->body, raw, raw_len, "amount", FALSE, FALSE,
                                          &m->amount, error)) ||
          !read_reason (request, FALSE, route_names[route], &m->reason, error))
        return FALSE;
    }
  else
    {
      if (!companion_request_get_string (request, "userId", TRUE, MAX_ID_CHARS, &m->user_id,
                                         error) ||
          !companion_request_get_string (request, "asset", TRUE, 64, &asset_code, error))
        return FALSE;
      m->asset = find_asset (self, asset_code);
      if (m->asset == NULL)
        return companion_fail (error, CROSSING_ERROR_UNKNOWN_ASSET);
      if (!companion_ledger_read_amount (request->body, raw, raw_len, "amount",
                                         route == ROUTE_ADJUST, TRUE, &m->amount, error) ||
          !read_reason (request, TRUE, NULL, &m->reason, error))
        return FALSE;
      if (route == ROUTE_RESERVE)
        {
          JsonNode *approval = json_object_get_member (request->body, "requireApproval");

          if (!companion_ledger_read_integer (request->body, raw, raw_len, "expiresInSeconds", 1,
                                              MAX_HOLD_SECONDS, DEFAULT_HOLD_SECONDS,
                                              &m->expires_in, error))
            return FALSE;
          /* issue 12: a hold the owner approves on the phone. */
          if (approval != NULL && !JSON_NODE_HOLDS_NULL (approval))
            {
              if (!JSON_NODE_HOLDS_VALUE (approval) ||
                  json_node_get_value_type (approval) != G_TYPE_BOOLEAN)
                return companion_invalid_request (error, "The field %s must be a boolean",
                                                  "requireApproval");
              m->require_approval = json_node_get_boolean (approval);
            }
          if (m->require_approval && self->engine == NULL)
            return companion_invalid_request (error, "requireApproval needs the cross-device "
                                              "feature");
          if (m->require_approval &&
              (!companion_request_get_string (request, "returnTo", FALSE, 2048, &m->return_to,
                                              error) ||
               !companion_request_get_string (request, "displayTitle", FALSE,
                                              CROSSING_MAX_TITLE_CHARS, &m->display_title,
                                              error)))
            return FALSE;
          if (m->return_to != NULL && !crossing_return_to_is_allowed (m->return_to))
            return companion_fail (error, CROSSING_ERROR_RETURN_TO_NOT_ALLOWED);
        }
    }

  if (!companion_request_get_string (request, "idempotencyKey", TRUE,
                                     COMPANION_LEDGER_MAX_KEY_CHARS, &m->key, error))
    return FALSE;
  if (!companion_ledger_key_is_valid (m->key))
    return companion_invalid_request (error, "The field idempotencyKey must match "
                                      "[A-Za-z0-9_:.-]{1,255}");
  header = companion_request_get_header (request, "Idempotency-Key");
  if (header != NULL && strcmp (header, m->key) != 0)
    return companion_invalid_request (error, "The Idempotency-Key header and the field "
                                      "idempotencyKey differ");
  return TRUE;
}

/* The route and the recognized fields after defaults. */
static char *
mutation_fingerprint (const Mutation *m)
{
  g_autofree char *amount = g_strdup_printf ("%" G_GINT64_FORMAT, m->amount);
  g_autofree char *expires_in = g_strdup_printf ("%" G_GINT64_FORMAT, m->expires_in);
  const char *fields[] = {
    m->user_id,
    m->asset != NULL ? m->asset->code : NULL,
    amount,
    m->reason,
    m->route == ROUTE_RESERVE ? expires_in : NULL,
    m->reservation_id,
    /* issue 12: only with requireApproval, so the keys stored before it
     * keep their fingerprints */
    "requireApproval",
    m->return_to,
    m->display_title,
  };

  return companion_ledger_fingerprint (route_names[m->route], fields,
                                       m->require_approval ? G_N_ELEMENTS (fields)
                                       : G_N_ELEMENTS (fields) - 3);
}

static const CrossingError outcome_errors[] = {
  [COMPANION_LEDGER_APPLIED] = CROSSING_ERROR_INTERNAL,
  [COMPANION_LEDGER_REPLAYED] = CROSSING_ERROR_INTERNAL,
  [COMPANION_LEDGER_KEY_CONFLICT] = CROSSING_ERROR_IDEMPOTENCY_CONFLICT,
  [COMPANION_LEDGER_NO_USER] = CROSSING_ERROR_USER_NOT_FOUND,
  [COMPANION_LEDGER_NO_HOLD] = CROSSING_ERROR_RESERVATION_NOT_FOUND,
  [COMPANION_LEDGER_HOLD_NOT_HELD] = CROSSING_ERROR_RESERVATION_NOT_HELD,
  [COMPANION_LEDGER_HOLD_EXPIRED] = CROSSING_ERROR_RESERVATION_EXPIRED,
  [COMPANION_LEDGER_HOLD_LIVE] = CROSSING_ERROR_INTERNAL,
  [COMPANION_LEDGER_CAPTURE_TOO_LARGE] = CROSSING_ERROR_CAPTURE_EXCEEDS_RESERVATION,
  [COMPANION_LEDGER_BELOW_ZERO] = CROSSING_ERROR_INSUFFICIENT_FUNDS,
  [COMPANION_LEDGER_ABOVE_LIMIT] = CROSSING_ERROR_BALANCE_LIMIT_EXCEEDED,
  [COMPANION_LEDGER_HOLD_AWAITING_APPROVAL] = CROSSING_ERROR_RESERVATION_AWAITING_APPROVAL,
};

G_STATIC_ASSERT (G_N_ELEMENTS (outcome_errors) == COMPANION_LEDGER_HOLD_AWAITING_APPROVAL + 1);

/* ---- issue 12: a hold approved on the phone ----------------------------- */

typedef struct {
  CompanionLedger        *self;
  CompanionLedgerPosting *posting;
  CompanionLedgerResult  *result;
  gint64                  expires_in_ms;
  JsonNode               *order;        /* start's answer, while posting */
} ApprovalInsert;

static char *
respond_approval (const CompanionLedgerResult *result,
                  gpointer                     user_data)
{
  ApprovalInsert *insert = user_data;

  return respond_with_order (result, insert->self->assets, insert->order);
}

/* The engine's insert: the hold and its order in one store posting, so
 * neither exists without the other. A refused posting fails start with the
 * outcome's error; a replay leaves the stored answer in the result. */
static gboolean
insert_hold_with_order (CompanionStore        *store,
                        const CompanionOrder  *order,
                        JsonNode              *response,
                        gpointer               user_data,
                        GError               **error)
{
  ApprovalInsert *insert = user_data;
  CompanionConfig *config = companion_core_get_config (insert->self->core);
  CompanionLedgerPosting *posting = insert->posting;

  /* Finalizable until the order's expiry plus the grace, the hold lives at
   * least as long. */
  posting->expires_at = MAX (posting->now + insert->expires_in_ms,
                             order->expires_at + (gint64) config->finalize_grace * 1000);
  posting->order = order;
  posting->respond = respond_approval;
  posting->respond_data = insert;
  insert->order = response;
  if (!companion_store_ledger_post (store, posting, insert->result, error))
    {
      companion_error_from_store (error);
      return FALSE;
    }
  insert->order = NULL;
  if (insert->result->outcome != COMPANION_LEDGER_APPLIED &&
      insert->result->outcome != COMPANION_LEDGER_REPLAYED)
    return companion_fail (error, companion_ledger_outcome_error (insert->result->outcome));
  return TRUE;
}

/* Reserve with requireApproval: an identified transaction order for the
 * owner's subject, created by the engine inside the hold's posting. */
static gboolean
post_with_approval (CompanionLedger         *self,
                    CompanionRequest        *request,
                    const Mutation          *m,
                    CompanionLedgerPosting  *posting,
                    CompanionLedgerResult   *result,
                    GError                 **error)
{
  g_autoptr(CompanionUser) owner = NULL;
  g_autoptr(JsonNode) order = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *amount = g_strdup_printf ("%" G_GINT64_FORMAT, m->amount);
  g_autofree char *scale = g_strdup_printf ("%u", m->asset->scale);
  g_autofree char *major = companion_ledger_format_major (m->amount, m->asset->scale);
  g_autofree char *summary = NULL;
  g_autofree char *payload_hash = NULL;
  g_autofree char *approved_extra = NULL;
  g_autoptr(JsonBuilder) extra = json_builder_new ();
  const char *details[] = {
    "amount", amount, "asset", m->asset->code, "reservationId", posting->hold_id,
    "scale", scale, NULL,
  };
  ApprovalInsert insert = {
    .self = self, .posting = posting, .result = result,
    .expires_in_ms = m->expires_in * 1000,
  };
  CompanionStartRequest start = {
    .kind = CROSSING_KIND_TRANSACTION,
    .adapter = CROSSING_ADAPTER_INVALID,
    .return_to = m->return_to,
    .title = m->display_title,
    .requester_ip = request->client_ip,
    .requester_user_agent = request->user_agent,
    .details = details,
    .insert = insert_hold_with_order,
    .insert_data = &insert,
  };

  owner = companion_store_get_user_by_id (companion_core_get_store (self->core), m->user_id,
                                          &local_error);
  if (owner == NULL)
    {
      if (g_error_matches (local_error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND))
        {
          result->outcome = COMPANION_LEDGER_NO_USER;
          return companion_fail (error, CROSSING_ERROR_USER_NOT_FOUND);
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      companion_error_from_store (error);
      return FALSE;
    }

  summary = g_strdup_printf ("Pay %s %s: %s", major, m->asset->code, m->reason);
  payload_hash = companion_ledger_payload_hash (posting->hold_id, m->user_id, m->asset->code,
                                                m->amount);
  json_builder_begin_object (extra);
  json_builder_set_member_name (extra, "reservation");
  json_builder_begin_object (extra);
  companion_json_add_string (extra, "id", posting->hold_id);
  companion_json_add_string (extra, "status", "captured");
  companion_json_add_int (extra, "capturedAmount", m->amount);
  json_builder_end_object (extra);
  json_builder_end_object (extra);
  approved_extra = to_text (extra);

  start.summary = summary;
  start.payload_hash = payload_hash;
  start.subject = owner->subject;
  start.approved_extra = approved_extra;
  order = companion_engine_start (self->engine, &start, error);
  return order != NULL;
}

/* The event of the order a release cancels with its hold, or NULL when
 * the hold has no live order. */
static char *
release_order_event (CompanionLedger  *self,
                     const char       *hold_id)
{
  CompanionStore *store = companion_core_get_store (self->core);
  g_autoptr(CompanionLedgerHold) hold = companion_store_ledger_get_hold (store, hold_id, NULL);
  g_autoptr(CompanionOrder) order = NULL;

  if (hold == NULL || hold->order_id == NULL || hold->status != COMPANION_HOLD_HELD)
    return NULL;
  order = companion_store_get_order (store, hold->order_id, NULL);
  if (order == NULL)
    return NULL;
  return companion_engine_event_data (order, CROSSING_STATUS_CANCELLED);
}

static gboolean
mutate (CompanionLedger   *self,
        CompanionRequest  *request,
        CompanionReply    *reply,
        MutationRoute      route,
        GError           **error)
{
  g_autofree char *entry_id = NULL;
  g_autofree char *hold_id = NULL;
  g_autofree char *fingerprint = NULL;
  g_autofree char *order_event = NULL;
  g_auto(CompanionLedgerResult) result = { 0, };
  CompanionLedgerPosting posting = { 0, };
  Mutation m = { 0, };

  if (!authorize_mutation (self, request, error) ||
      !companion_request_check_body (request, error) ||
      !read_mutation (self, request, route, &m, error))
    return FALSE;

  fingerprint = mutation_fingerprint (&m);
  entry_id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  posting.idempotency_key = m.key;
  posting.fingerprint = fingerprint;
  posting.entry_id = entry_id;
  posting.type = route_names[route];
  posting.reason = m.reason;
  posting.user_id = m.user_id;
  posting.asset = m.asset != NULL ? m.asset->code : NULL;
  posting.now = crossing_now_ms ();
  posting.respond = respond;
  posting.respond_data = self->assets;

  switch (route)
    {
    case ROUTE_CREDIT:
    case ROUTE_ADJUST:
      posting.kind = COMPANION_POSTING_MOVE;
      posting.posted_delta = m.amount;
      break;
    case ROUTE_DEBIT:
      posting.kind = COMPANION_POSTING_MOVE;
      posting.posted_delta = -m.amount;
      break;
    case ROUTE_RESERVE:
      hold_id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
      posting.kind = COMPANION_POSTING_HOLD;
      posting.amount = m.amount;
      posting.hold_id = hold_id;
      posting.expires_at = posting.now + m.expires_in * 1000;
      break;
    case ROUTE_RELEASE:
      posting.kind = COMPANION_POSTING_RESOLVE;
      posting.hold_id = m.reservation_id;
      posting.capture = 0;
      posting.hold_status = COMPANION_HOLD_RELEASED;
      /* issue 12: the order waiting for it is cancelled with it. */
      if (self->engine != NULL)
        order_event = release_order_event (self, m.reservation_id);
      posting.order_event_data = order_event;
      break;
    case ROUTE_CAPTURE:
      posting.kind = COMPANION_POSTING_RESOLVE;
      posting.hold_id = m.reservation_id;
      posting.capture = m.amount > 0 ? m.amount : -1;
      posting.hold_status = COMPANION_HOLD_CAPTURED;
      break;
    default:
      g_assert_not_reached ();
    }

  if (route == ROUTE_RESERVE && m.require_approval)
    {
      if (!post_with_approval (self, request, &m, &posting, &result, error))
        {
          if (result.outcome != COMPANION_LEDGER_APPLIED)
            companion_core_count_ledger_mutation (self->core, route_names[route], "refused");
          return FALSE;
        }
    }
  else if (!companion_store_ledger_post (companion_core_get_store (self->core), &posting,
                                         &result, error))
    {
      companion_error_from_store (error);
      return FALSE;
    }

  if (result.outcome == COMPANION_LEDGER_APPLIED)
    {
      companion_core_count_ledger_mutation (self->core, route_names[route], "applied");
      if (route == ROUTE_RESERVE)
        ledger_arm_expiry (self, posting.expires_at);
      reply_text (reply, result.status, result.body);
      return TRUE;
    }
  if (result.outcome == COMPANION_LEDGER_REPLAYED)
    {
      companion_core_count_ledger_mutation (self->core, route_names[route], "replayed");
      companion_reply_set_header (reply, "Idempotency-Hit", "true");
      reply_text (reply, result.status, result.body);
      return TRUE;
    }
  companion_core_count_ledger_mutation (self->core, route_names[route], "refused");
  return companion_fail (error, companion_ledger_outcome_error (result.outcome));
}

CrossingError
companion_ledger_outcome_error (CompanionLedgerOutcome outcome)
{
  if ((guint) outcome >= G_N_ELEMENTS (outcome_errors))
    return CROSSING_ERROR_INTERNAL;
  return outcome_errors[outcome];
}

gboolean
companion_ledger_post_move (CompanionStore         *store,
                            const char * const     *asset_values,
                            const char             *type,
                            const char             *user_id,
                            const char             *asset,
                            gint64                  amount,
                            const char             *reason,
                            const char             *idempotency_key,
                            CompanionLedgerResult  *out_result,
                            GError                **error)
{
  g_autoptr(GPtrArray) assets = assets_from_config (asset_values);
  g_autofree char *fingerprint = NULL;
  g_autofree char *entry_id = NULL;
  gboolean is_credit = g_strcmp0 (type, "credit") == 0;
  CompanionLedgerPosting posting = { 0, };
  Mutation m = { 0, };

  g_return_val_if_fail (is_credit || g_strcmp0 (type, "debit") == 0, FALSE);
  g_return_val_if_fail (amount > 0 && companion_ledger_key_is_valid (idempotency_key), FALSE);

  m.route = is_credit ? ROUTE_CREDIT : ROUTE_DEBIT;
  m.user_id = user_id;
  m.asset = find_asset_in (assets, asset);
  m.amount = amount;
  m.reason = reason;
  m.key = idempotency_key;
  g_return_val_if_fail (m.asset != NULL, FALSE);

  fingerprint = mutation_fingerprint (&m);
  entry_id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  posting.kind = COMPANION_POSTING_MOVE;
  posting.idempotency_key = idempotency_key;
  posting.fingerprint = fingerprint;
  posting.entry_id = entry_id;
  posting.type = type;
  posting.reason = reason;
  posting.user_id = user_id;
  posting.asset = m.asset->code;
  posting.posted_delta = is_credit ? amount : -amount;
  posting.now = crossing_now_ms ();
  posting.respond = respond;
  posting.respond_data = assets;
  return companion_store_ledger_post (store, &posting, out_result, error);
}

#define MUTATION_HANDLER(name, route) \
  static gboolean \
  handle_ ## name (gpointer state, CompanionRequest *request, CompanionReply *reply, \
                   GError **error) \
  { \
    return mutate (state, request, reply, route, error); \
  }

MUTATION_HANDLER (credit, ROUTE_CREDIT)
MUTATION_HANDLER (debit, ROUTE_DEBIT)
MUTATION_HANDLER (adjust, ROUTE_ADJUST)
MUTATION_HANDLER (reserve, ROUTE_RESERVE)
MUTATION_HANDLER (release, ROUTE_RELEASE)
MUTATION_HANDLER (capture, ROUTE_CAPTURE)

/* Reads and mutations check a secret (a session or the admin key): a
 * client over its failed-attempt allowance is refused. */
#define READ  COMPANION_ROUTE_CHECKS_TOKEN
#define WRITE (COMPANION_ROUTE_JSON_BODY | COMPANION_ROUTE_DEFER_BODY | COMPANION_ROUTE_CHECKS_TOKEN)

static const CompanionRoute routes[] = {
  { "GET", PREFIX "/account", READ, handle_account },
  { "GET", PREFIX "/balance", READ, handle_balance },
  { "GET", PREFIX "/entries", READ, handle_entries },
  { "POST", PREFIX "/credit", WRITE, handle_credit },
  { "POST", PREFIX "/debit", WRITE, handle_debit },
  { "POST", PREFIX "/adjust", WRITE, handle_adjust },
  { "POST", PREFIX "/reserve", WRITE, handle_reserve },
  { "POST", PREFIX "/reservations/release", WRITE, handle_release },
  { "POST", PREFIX "/reservations/capture", WRITE, handle_capture },
};

/* ---- expiry -------------------------------------------------------------- */

/* Writes the release of every hold due by now, each in its own
 * transaction; a hold resolved meanwhile is simply skipped. */
static void
expire_due_holds (CompanionLedger *self)
{
  CompanionStore *store = companion_core_get_store (self->core);
  gint64 now = crossing_now_ms ();
  guint done = 0;

  do
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) due = companion_store_ledger_list_due_holds (store, now, EXPIRY_BATCH,
                                                                        &error);

      if (due == NULL)
        {
          g_warning ("Cannot list the holds due: %s", error->message);
          return;
        }
      for (guint i = 0; i < due->len; i++)
        {
          const CompanionLedgerHold *hold = g_ptr_array_index (due, i);
          g_autofree char *entry_id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
          g_auto(CompanionLedgerResult) result = { 0, };
          CompanionLedgerPosting posting = {
            .kind = COMPANION_POSTING_EXPIRE,
            .entry_id = entry_id,
            .type = "release",
            .reason = "expired",
            .hold_id = hold->id,
            .now = now,
          };

          if (!companion_store_ledger_post (store, &posting, &result, &error))
            {
              g_warning ("Cannot expire a hold: %s", error->message);
              return;
            }
          if (result.outcome == COMPANION_LEDGER_APPLIED)
            companion_core_count_ledger_mutation (self->core, "release", "expired");
        }
      done = due->len;
    }
  while (done == EXPIRY_BATCH);
}

static gboolean
on_expiry (gpointer user_data)
{
  CompanionLedger *self = user_data;
  g_autoptr(GError) error = NULL;
  gint64 next;

  self->expiry_id = 0;
  self->expiry_at = G_MAXINT64;
  expire_due_holds (self);
  next = companion_store_ledger_next_hold_expiry (companion_core_get_store (self->core), &error);
  if (error != NULL)
    g_warning ("Cannot read the next hold expiry: %s", error->message);
  ledger_arm_expiry (self, next);
  return G_SOURCE_REMOVE;
}

/* Makes sure the timer fires by @at (epoch ms; G_MAXINT64: no hold). */
static void
ledger_arm_expiry (CompanionLedger *self,
                   gint64           at)
{
  gint64 delay;

  if (at == G_MAXINT64 || (self->expiry_id != 0 && self->expiry_at <= at))
    return;
  g_clear_handle_id (&self->expiry_id, g_source_remove);
  delay = CLAMP (at - crossing_now_ms (), 0, MAX_TIMER_MS);
  self->expiry_at = at;
  self->expiry_id = g_timeout_add ((guint) delay, on_expiry, self);
}

/* ---- the feature --------------------------------------------------------- */

static gpointer
ledger_create (CompanionCore  *core,
               GError        **error)
{
  CompanionLedger *self = g_new0 (CompanionLedger, 1);
  CompanionConfig *config = companion_core_get_config (core);
  CompanionCrossDevice *cross_device;

  self->core = core;
  self->expiry_at = G_MAXINT64;
  self->assets = assets_from_config ((const char * const *) config->ledger_assets);
  /* issue 12: listed after cross-device, whose orders approve holds. */
  cross_device = companion_core_get_feature (core, "cross-device");
  if (cross_device != NULL)
    self->engine = g_object_ref (companion_cross_device_get_engine (cross_device));
  return self;
}

static void
ledger_start (gpointer state)
{
  CompanionLedger *self = state;

  /* Holds that expired while the companion was stopped, then the rest. */
  on_expiry (self);
}

static void
ledger_destroy (gpointer state)
{
  CompanionLedger *self = state;

  g_clear_handle_id (&self->expiry_id, g_source_remove);
  g_clear_object (&self->engine);
  g_ptr_array_unref (self->assets);
  g_free (self);
}

static const CompanionCommand commands[] = {
  { "admin-key", companion_admin_key_main, "Make a key for the ledger's server-to-server calls" },
  { "ledger", companion_ledger_cli_main, "Show balances and entries; credit or debit a user" },
};

const CompanionFeature companion_ledger_feature = {
  .name = "ledger",
  .create = ledger_create,
  .start = ledger_start,
  .destroy = ledger_destroy,
  .routes = routes,
  .n_routes = G_N_ELEMENTS (routes),
  .commands = commands,
  .n_commands = G_N_ELEMENTS (commands),
};
