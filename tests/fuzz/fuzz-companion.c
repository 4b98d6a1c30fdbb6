/* fuzz-companion.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fuzz"

#include "config.h"

#include <errno.h>
#include <sanitizer/lsan_interface.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "crossing-claim-url.h"
#include "crossing-nimiq.h"
#include "crossing-proof.h"
#include "crossing-token.h"

#include "companion-cross-device.h"
#include "companion-server.h"
#include "companion-sqlite-store.h"

#include "fuzz-common.h"
#include "fuzz-companion.h"

/* A fresh database now and then: the orders of a million runs would slow
 * every lookup down and hide per-run costs. */
#define RUNS_PER_SERVER 2000
/* Main-context iterations with nothing to do before a live connection
 * counts as done (an event stream stays open by design). */
#define IDLE_ROUNDS 4

static struct {
  CompanionConfig      *config;
  CompanionSqliteStore *store;
  CompanionServer      *server;
  guint                 runs;
  guint32               peer;       /* a new client address per request */
  guint8                seed[CROSSING_ED25519_SEED_BYTES];
  GHashTable           *values;     /* placeholder -> value */
} fuzz;

static const char *const placeholders[] = {
  "$ORDER", "$CLAIM", "$CHALLENGE", "$DESKTOP", "$EVENT", "$CODE", "$PUB", "$SIG", "$ADDRESS",
  "$SESSION", "$NONCE", "$QR", "$POLL", "$USERCODE",
};

static void
start_server (void)
{
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&fuzz.config->public_url, g_free);
  fuzz.store = companion_sqlite_store_open (":memory:", &error);
  g_assert_no_error (error);
  fuzz.server = companion_server_new (fuzz.config, COMPANION_STORE (fuzz.store));
  /* libsoup 3.2 leaks the address soup_server_get_uris() looks up. */
  __lsan_disable ();
  companion_server_listen (fuzz.server, &error);
  __lsan_enable ();
  g_assert_no_error (error);
}

static void
drain (void)
{
  for (guint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

static void
stop_server (void)
{
  companion_server_stop_accepting (fuzz.server);
  companion_server_disconnect (fuzz.server);
  drain ();
  g_clear_object (&fuzz.server);
  g_clear_object (&fuzz.store);
  drain ();
}

static void
at_exit (void)
{
  /* So LeakSanitizer reports only what a run leaked. */
  if (fuzz.server != NULL)
    stop_server ();
  g_clear_pointer (&fuzz.values, g_hash_table_unref);
  g_clear_pointer (&fuzz.config, companion_config_free);
}

void
fuzz_companion_init (void)
{
  if (fuzz.config != NULL)
    return;

  fuzz_init_glib ();
  crossing_crypto_init ();
  for (guint i = 0; i < G_N_ELEMENTS (fuzz.seed); i++)
    fuzz.seed[i] = (guint8) (i * 7 + 1);

  fuzz.config = companion_config_new_default ();
  g_free (fuzz.config->listen_host);
  fuzz.config->listen_host = g_strdup ("127.0.0.1");
  fuzz.config->listen_port = 0;
  /* Wrong codes must not switch code entry off for the rest of a run. */
  fuzz.config->user_code_misses_per_minute = 1000000;
  fuzz.config->user_code_misses_per_minute_per_ip = 1000000;
  fuzz.values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  start_server ();
  atexit (at_exit);
}

/* ---- orders -------------------------------------------------------------- */

static const char *
value (const char *placeholder)
{
  return g_hash_table_lookup (fuzz.values, placeholder);
}

static void
set_value (const char *placeholder,
           const char *text)
{
  for (guint i = 0; i < G_N_ELEMENTS (placeholders); i++)
    if (strcmp (placeholders[i], placeholder) == 0)
      {
        g_hash_table_replace (fuzz.values, (gpointer) placeholders[i], g_strdup (text));
        return;
      }
  g_error ("no placeholder %s", placeholder);
}

const char *
fuzz_companion_get_value (const char *placeholder)
{
  return value (placeholder);
}

void
fuzz_companion_set_value (const char *placeholder,
                          const char *text)
{
  set_value (placeholder, text);
}

void
fuzz_companion_sign (CrossingAdapter   adapter,
                     const char       *message)
{
  g_autofree char *public_key_hex = NULL;
  g_autofree char *signature_hex = NULL;
  guint8 key[CROSSING_ED25519_PUBLIC_KEY_BYTES];
  g_autofree char *address = NULL;

  crossing_proof_sign (adapter, message, fuzz.seed, &public_key_hex, &signature_hex);
  set_value ("$PUB", public_key_hex);
  set_value ("$SIG", signature_hex);
  g_assert_true (crossing_hex_decode (public_key_hex, key, sizeof key));
  address = crossing_nimiq_address_from_public_key (key);
  set_value ("$ADDRESS", address);
}

static JsonObject *
expect_object (JsonNode     *node,
               const GError *error,
               const char   *step)
{
  if (node == NULL)
    g_error ("preparing an order, %s failed: %s", step, error->message);
  return json_node_get_object (node);
}

static void
prepare_order (FuzzOrderState state)
{
  CompanionEngine *engine =
    companion_cross_device_get_engine (companion_server_get_feature (fuzz.server, "cross-device"));
  gboolean sign = state >= FUZZ_ORDER_SIGN_STARTED;
  CompanionStartRequest start = {
    .kind = sign ? CROSSING_KIND_SIGN : CROSSING_KIND_LOGIN,
    .adapter = sign ? CROSSING_ADAPTER_NIMIQ_PAY : CROSSING_ADAPTER_ED25519,
    .title = sign ? "Pay 1 NIM" : NULL,
    .requester_ip = "192.0.2.1",
    .requester_user_agent = "fuzz",
    .user_code = !sign,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) started = NULL;
  g_autoptr(JsonNode) claimed = NULL;
  g_autoptr(JsonNode) envelope = NULL;
  g_autoptr(JsonNode) approved = NULL;
  g_autoptr(JsonNode) finalized = NULL;
  g_autoptr(CrossingClaimUrl) claim_url = NULL;
  g_autoptr(CompanionOrder) order = NULL;
  g_autofree char *session = NULL;
  g_autofree char *public_key_hex = NULL;
  g_autofree char *signature_hex = NULL;
  JsonObject *object;
  const char *order_id;

  object = expect_object (started = companion_engine_start (engine, &start, &error), error,
                          "start");
  order_id = json_object_get_string_member (object, "orderId");
  set_value ("$ORDER", order_id);
  set_value ("$DESKTOP", json_object_get_string_member (object, "desktopToken"));
  set_value ("$EVENT", json_object_get_string_member (object, "eventToken"));
  claim_url = crossing_claim_url_parse (json_object_get_string_member (object, "claimUrl"),
                                        &error);
  g_assert_no_error (error);
  set_value ("$CLAIM", claim_url->claim_token);
  if (json_object_has_member (object, "userCode"))
    set_value ("$USERCODE", json_object_get_string_member (object, "userCode"));
  if (state == FUZZ_ORDER_STARTED || state == FUZZ_ORDER_SIGN_STARTED)
    return;

  object = expect_object (claimed = companion_engine_claim (engine, order_id,
                                                            claim_url->claim_token, &error),
                          error, "claim");
  set_value ("$CHALLENGE", json_object_get_string_member (object, "challengeToken"));
  order = companion_store_get_order (COMPANION_STORE (fuzz.store), order_id, &error);
  g_assert_no_error (error);
  if (order->check_code != NULL)
    set_value ("$CODE", order->check_code);
  if (state == FUZZ_ORDER_CLAIMED)
    return;

  object = expect_object (envelope = companion_engine_challenge (engine, order_id,
                                                                 value ("$CHALLENGE"), &error),
                          error, "challenge");
  fuzz_companion_sign (start.adapter, json_object_get_string_member (object, "message"));
  public_key_hex = g_strdup (value ("$PUB"));
  signature_hex = g_strdup (value ("$SIG"));
  if (state == FUZZ_ORDER_CHALLENGED || state == FUZZ_ORDER_SIGN_CHALLENGED)
    return;

  {
    CompanionApproveRequest approve = {
      .order_id = order_id,
      .challenge_token = value ("$CHALLENGE"),
      .public_key_hex = public_key_hex,
      .signature_hex = signature_hex,
      .check_code = value ("$CODE"),
    };

    approved = companion_engine_approve (engine, &approve, &error);
    expect_object (approved, error, "approve");
  }
  if (state == FUZZ_ORDER_APPROVED)
    return;

  finalized = companion_engine_finalize (engine, order_id, value ("$DESKTOP"), "192.0.2.1",
                                         "fuzz", &session, &error);
  expect_object (finalized, error, "finalize");
  set_value ("$SESSION", session);
}

void
fuzz_companion_prepare (guint state)
{
  if (++fuzz.runs % RUNS_PER_SERVER == 0)
    {
      stop_server ();
      start_server ();
    }

  /* Unknown to the store, yet well-formed: they pass the shape checks. */
  for (guint i = 0; i < G_N_ELEMENTS (placeholders); i++)
    {
      g_autofree char *token = crossing_token_new (CROSSING_TOKEN_BYTES);

      set_value (placeholders[i], token);
    }
  /* A code of the right shape that no order has. */
  set_value ("$USERCODE", "BCDF-GHJK");

  state %= FUZZ_ORDER_N_STATES;
  if (state != FUZZ_ORDER_NONE)
    prepare_order (state);
}

GString *
fuzz_companion_substitute (const guint8 *data,
                           gsize         size)
{
  GString *text = g_string_new_len ((const char *) data, (gssize) size);

  /* No placeholder starts another, and no value holds a '$'. */
  for (guint i = 0; i < G_N_ELEMENTS (placeholders); i++)
    if (memchr (text->str, '$', text->len) != NULL)
      g_string_replace (text, placeholders[i], value (placeholders[i]), 0);
  return text;
}

/* ---- requests ------------------------------------------------------------ */

static void
parse_head (FuzzResponse *response)
{
  const char *raw = response->raw->str;
  const char *end = g_strstr_len (raw, (gssize) response->raw->len, "\r\n\r\n");
  g_autofree char *head = NULL;
  g_autofree char *lower = NULL;
  const char *length;

  response->body_length = -1;
  if (!g_str_has_prefix (raw, "HTTP/1.") || response->raw->len < 12 || end == NULL)
    return;
  response->status = (guint) g_ascii_strtoull (raw + 9, NULL, 10);
  response->body_offset = (gsize) (end + 4 - raw);
  head = g_strndup (raw, (gsize) (end - raw));
  lower = g_ascii_strdown (head, -1);
  response->event_stream = strstr (lower, "\r\ncontent-type: text/event-stream") != NULL;

  /* A request may hold more than its Content-Length: libsoup reads the rest
   * as a second request and answers it too, after the first body. */
  length = strstr (lower, "\r\ncontent-length:");
  response->body_length = length != NULL
                          ? (gssize) g_ascii_strtoull (length + strlen ("\r\ncontent-length:"),
                                                       NULL, 10)
                          : -1;
}

void
fuzz_companion_exchange (const char   *request,
                         gsize         len,
                         FuzzResponse *response)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) server_socket = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  g_autoptr(GInetAddress) peer = NULL;
  guint8 peer_bytes[4];
  gsize sent = 0;
  guint idle = 0;
  char buffer[16384];
  int fds[2];

  memset (response, 0, sizeof *response);
  response->raw = g_string_new (NULL);

  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds));
  server_socket = g_socket_new_from_fd (fds[1], &error);
  g_assert_no_error (error);
  connection = g_socket_connection_factory_create_connection (server_socket);

  /* 10.x.y.z, a new one each time: no per-address limit gets in the way. */
  fuzz.peer++;
  peer_bytes[0] = 10;
  peer_bytes[1] = (fuzz.peer >> 16) & 0xff;
  peer_bytes[2] = (fuzz.peer >> 8) & 0xff;
  peer_bytes[3] = fuzz.peer & 0xff;
  peer = g_inet_address_new_from_bytes (peer_bytes, G_SOCKET_FAMILY_IPV4);
  remote = g_inet_socket_address_new (peer, 40000);
  local = g_inet_socket_address_new_from_string ("127.0.0.1", 8787);
  soup_server_accept_iostream (companion_server_get_soup_server (fuzz.server),
                               G_IO_STREAM (connection), local, remote, &error);
  g_assert_no_error (error);

  while (sent < len)
    {
      ssize_t n = write (fds[0], request + sent, len - sent);

      if (n > 0)
        sent += (gsize) n;
      else if (n < 0 && errno == EAGAIN)
        {
          /* The server may answer (and stop reading) before the end. */
          n = read (fds[0], buffer, sizeof buffer);
          if (n > 0)
            g_string_append_len (response->raw, buffer, n);
          if (!g_main_context_iteration (NULL, FALSE) && n <= 0 && ++idle > IDLE_ROUNDS)
            break;
        }
      else
        break;
    }
  shutdown (fds[0], SHUT_WR);

  idle = 0;
  for (;;)
    {
      ssize_t n = read (fds[0], buffer, sizeof buffer);

      if (n > 0)
        {
          g_string_append_len (response->raw, buffer, n);
          idle = 0;
        }
      else if (n == 0 || errno != EAGAIN)
        {
          response->closed = TRUE;
          break;
        }
      else if (g_main_context_iteration (NULL, FALSE))
        idle = 0;
      else if (++idle > IDLE_ROUNDS)
        break;
    }
  close (fds[0]);

  /* An open event stream would only notice the close on its next write. */
  if (!response->closed)
    companion_server_disconnect (fuzz.server);
  drain ();
  parse_head (response);

  /* To see what a corpus gets, e.g. FUZZ_VERBOSE=1 fuzz-http -runs=0 corpus/http */
  if (g_getenv ("FUZZ_VERBOSE") != NULL)
    g_printerr ("--- %.*s\n+++ %s\n", (int) MIN (len, 400), request, response->raw->str);
}

void
fuzz_response_clear (FuzzResponse *response)
{
  if (response->raw != NULL)
    g_string_free (response->raw, TRUE);
  memset (response, 0, sizeof *response);
}

void
fuzz_companion_check (const FuzzResponse *response)
{
  const char *body;
  gsize body_len;
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;
  JsonObject *object;

  if (response->status == 0)
    return;
  if (response->status >= 500 && response->status != 501 && response->status != 505)
    g_error ("the server answered %u:\n%s", response->status, response->raw->str);
  if (response->status < 400)
    return;

  /* libsoup's own refusals of broken HTTP have no body; ours all do. */
  body = response->raw->str + response->body_offset;
  body_len = response->raw->len - response->body_offset;
  if (response->body_length >= 0)
    body_len = MIN (body_len, (gsize) response->body_length);
  if (body_len == 0)
    return;
  if (strstr (response->raw->str, "application/json") == NULL)
    return;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, body, (gssize) body_len, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    g_error ("an error body is not a JSON object:\n%s", response->raw->str);
  object = json_node_get_object (root);
  if (!json_object_has_member (object, "code") || !json_object_has_member (object, "message"))
    g_error ("an error body lacks code or message:\n%s", response->raw->str);
}
