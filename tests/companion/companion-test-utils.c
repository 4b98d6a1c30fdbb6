/* companion-test-utils.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-test"

#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#include "crossing-token.h"

#include "companion-test-utils.h"

/* ---- main context -------------------------------------------------------- */

static gboolean
on_wait_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
ct_wait_until (gboolean (*done) (gpointer data),
               gpointer   data,
               guint      timeout_ms)
{
  gboolean timed_out = FALSE;
  guint timeout_id;

  if (done (data))
    return TRUE;

  timeout_id = g_timeout_add (timeout_ms, on_wait_timeout, &timed_out);
  while (!done (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout_id);

  return done (data);
}

void
ct_drain_main_context (void)
{
  /* Bounded: a source that is always ready must not hang the test. */
  for (guint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* ---- fixture ------------------------------------------------------------- */

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
              !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_assert_no_errno (g_unlink (child));
        }
    }
  g_assert_no_errno (g_rmdir (path));
}

void
ct_fixture_init (CtFixture *f)
{
  g_autoptr(GError) error = NULL;

  memset (f, 0, sizeof *f);
  crossing_crypto_init ();

  f->tmp_dir = g_dir_make_tmp ("crossing-companion-test-XXXXXX", &error);
  g_assert_no_error (error);
  f->db_path = g_build_filename (f->tmp_dir, "companion.db", NULL);

  f->config = companion_config_new_default ();
  g_free (f->config->listen_host);
  f->config->listen_host = g_strdup ("127.0.0.1");
  f->config->listen_port = 0;
  g_free (f->config->db_path);
  f->config->db_path = g_strdup (f->db_path);
  /* Suites drive many flows from one address; the limits' own tests lower
   * these again. */
  f->config->max_starts_per_minute = 1000000;
  f->config->max_failures_per_minute = 1000000;
}

void
ct_fixture_start (CtFixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GProxyResolver) direct = NULL;

  g_assert_null (f->server);

  /* A restart listens on a new port: the public URL follows it. */
  g_clear_pointer (&f->config->public_url, g_free);

  f->store = companion_store_open (f->db_path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);

  f->server = companion_server_new (f->config, f->store);
  companion_server_listen (f->server, &error);
  g_assert_no_error (error);

  f->url = g_strdup (companion_server_get_url (f->server));
  g_assert_true (g_str_has_prefix (f->url, "http://127.0.0.1:"));
  f->api = g_strconcat (f->url, f->config->base_path, CROSSING_CROSS_DEVICE_PREFIX, NULL);

  /* Loopback only: never through a proxy from the environment. */
  direct = g_simple_proxy_resolver_new (NULL, NULL);
  f->session = soup_session_new_with_options ("max-conns", 128,
                                              "max-conns-per-host", 128,
                                              "proxy-resolver", direct,
                                              "user-agent", "crossing-test/1",
                                              NULL);
}

void
ct_fixture_stop (CtFixture *f)
{
  if (f->session != NULL)
    {
      soup_session_abort (f->session);
      ct_drain_main_context ();
      g_assert_finalize_object (g_steal_pointer (&f->session));
    }

  if (f->server != NULL)
    {
      companion_server_stop_accepting (f->server);
      companion_server_disconnect (f->server);
      ct_drain_main_context ();
      g_assert_finalize_object (g_steal_pointer (&f->server));
    }

  /* The server held the only other references (its engine's included). */
  if (f->store != NULL)
    g_assert_finalize_object (g_steal_pointer (&f->store));

  ct_drain_main_context ();
  g_clear_pointer (&f->url, g_free);
  g_clear_pointer (&f->api, g_free);
}

void
ct_fixture_finish (CtFixture *f)
{
  ct_fixture_stop (f);
  g_clear_pointer (&f->config, companion_config_free);
  if (f->tmp_dir != NULL)
    remove_tree (f->tmp_dir);
  g_clear_pointer (&f->tmp_dir, g_free);
  g_clear_pointer (&f->db_path, g_free);
}

void
ct_fixture_setup (CtFixture     *f,
                  gconstpointer  data)
{
  ct_fixture_init (f);
  ct_fixture_start (f);
}

void
ct_fixture_teardown (CtFixture     *f,
                     gconstpointer  data)
{
  ct_fixture_finish (f);
}

CompanionEventHub *
ct_fixture_get_hub (CtFixture *f)
{
  return companion_server_get_hub (f->server);
}

CompanionStore *
ct_fixture_get_store (CtFixture *f)
{
  return f->store;
}

/* ---- requests ------------------------------------------------------------ */

void
ct_response_free (CtResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_pointer (&response->json, json_node_unref);
  g_free (response);
}

JsonObject *
ct_response_object (CtResponse *response)
{
  g_assert_nonnull (response->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (response->json));
  return json_node_get_object (response->json);
}

const char *
ct_response_assert_error (CtResponse *response,
                          guint       status,
                          const char *code)
{
  JsonObject *object;

  if (response->status != status)
    g_test_message ("body: %.*s", (int) g_bytes_get_size (response->body),
                    (const char *) g_bytes_get_data (response->body, NULL));
  g_assert_cmpuint (response->status, ==, status);
  object = ct_response_object (response);
  g_assert_cmpstr (ct_json_string (object, "code"), ==, code);
  g_assert_cmpstr (ct_json_string (object, "message"), !=, "");
  return ct_json_string (object, "message");
}

char *
ct_fixture_url (CtFixture  *f,
                const char *endpoint)
{
  if (endpoint[0] == '/')
    return g_strconcat (f->url, endpoint, NULL);
  return g_strconcat (f->api, "/", endpoint, NULL);
}

SoupMessage *
ct_message_new (CtFixture  *f,
                const char *method,
                const char *endpoint)
{
  g_autofree char *url = ct_fixture_url (f, endpoint);
  SoupMessage *msg = soup_message_new (method, url);

  g_assert_nonnull (msg);
  return msg;
}

SoupMessage *
ct_message_new_post (CtFixture  *f,
                     const char *endpoint,
                     const char *content_type,
                     const char *body,
                     gssize      len)
{
  SoupMessage *msg = ct_message_new (f, SOUP_METHOD_POST, endpoint);

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, len < 0 ? strlen (body) : (gsize) len);

      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }
  else if (content_type != NULL)
    soup_message_headers_set_content_type (soup_message_get_request_headers (msg), content_type,
                                           NULL);
  return msg;
}

typedef struct {
  SoupMessage *msg;
  GBytes      *bytes;
  GError      *error;
  gboolean     done;
} Pending;

static void
pending_free (Pending *pending)
{
  g_clear_object (&pending->msg);
  g_clear_pointer (&pending->bytes, g_bytes_unref);
  g_clear_error (&pending->error);
  g_free (pending);
}

static void
on_send_and_read (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Pending *pending = user_data;

  pending->bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                      &pending->error);
  pending->done = TRUE;
}

static Pending *
pending_start (CtFixture   *f,
               SoupMessage *msg)
{
  Pending *pending = g_new0 (Pending, 1);

  pending->msg = g_object_ref (msg);
  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, on_send_and_read,
                                    pending);
  return pending;
}

static gboolean
pending_is_done (gpointer data)
{
  return ((Pending *) data)->done;
}

static CtResponse *
response_new (SoupMessage *msg,
              GBytes      *bytes)
{
  CtResponse *response = g_new0 (CtResponse, 1);
  const char *content_type;

  response->status = soup_message_get_status (msg);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  response->body = bytes != NULL ? g_bytes_ref (bytes) : g_bytes_new (NULL, 0);

  content_type = soup_message_headers_get_content_type (response->headers, NULL);
  if (g_strcmp0 (content_type, "application/json") == 0 && g_bytes_get_size (response->body) > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      gsize len;
      const char *data = g_bytes_get_data (response->body, &len);

      json_parser_load_from_data (parser, data, len, &error);
      g_assert_no_error (error);
      response->json = json_node_ref (json_parser_get_root (parser));
    }
  return response;
}

static CtResponse *
pending_finish (Pending *pending)
{
  g_assert_no_error (pending->error);
  return response_new (pending->msg, pending->bytes);
}

CtResponse *
ct_send (CtFixture   *f,
         SoupMessage *msg)
{
  Pending *pending = pending_start (f, msg);
  CtResponse *response;

  g_assert_true (ct_wait_until (pending_is_done, pending, CT_TIMEOUT_MS));
  response = pending_finish (pending);
  pending_free (pending);
  return response;
}

CtResponse *
ct_post (CtFixture  *f,
         const char *endpoint,
         const char *json)
{
  g_autoptr(SoupMessage) msg = ct_message_new_post (f, endpoint, "application/json", json, -1);

  return ct_send (f, msg);
}

CtResponse *
ct_post_printf (CtFixture  *f,
                const char *endpoint,
                const char *format,
                ...)
{
  g_autofree char *json = NULL;
  va_list args;

  va_start (args, format);
  json = g_strdup_vprintf (format, args);
  va_end (args);
  return ct_post (f, endpoint, json);
}

CtResponse *
ct_get (CtFixture  *f,
        const char *endpoint)
{
  g_autoptr(SoupMessage) msg = ct_message_new (f, SOUP_METHOD_GET, endpoint);

  return ct_send (f, msg);
}

struct _CtBatch {
  CtFixture *f;
  GPtrArray *pendings;
};

CtBatch *
ct_batch_new (CtFixture *f)
{
  CtBatch *batch = g_new0 (CtBatch, 1);

  batch->f = f;
  batch->pendings = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_free);
  return batch;
}

void
ct_batch_add (CtBatch     *batch,
              SoupMessage *msg)
{
  g_ptr_array_add (batch->pendings, pending_start (batch->f, msg));
}

static gboolean
batch_is_done (gpointer data)
{
  CtBatch *batch = data;

  for (guint i = 0; i < batch->pendings->len; i++)
    if (!pending_is_done (g_ptr_array_index (batch->pendings, i)))
      return FALSE;
  return TRUE;
}

GPtrArray *
ct_batch_wait (CtBatch *batch)
{
  GPtrArray *responses = g_ptr_array_new_with_free_func ((GDestroyNotify) ct_response_free);

  g_assert_true (ct_wait_until (batch_is_done, batch, CT_TIMEOUT_MS));
  for (guint i = 0; i < batch->pendings->len; i++)
    g_ptr_array_add (responses, pending_finish (g_ptr_array_index (batch->pendings, i)));
  return responses;
}

void
ct_batch_free (CtBatch *batch)
{
  if (batch == NULL)
    return;
  /* Never leave a callback pointing at freed memory. */
  g_assert_true (ct_wait_until (batch_is_done, batch, CT_TIMEOUT_MS));
  g_ptr_array_unref (batch->pendings);
  g_free (batch);
}

/* ---- event streams ------------------------------------------------------- */

struct _CtEventStream {
  int                 ref_count;
  SoupMessage        *msg;
  GInputStream       *input;
  GCancellable       *cancellable;
  CrossingSseParser  *parser;
  GPtrArray          *events;
  GPtrArray          *comments;
  GString            *raw;
  gboolean            headers_done;
  gboolean            ended;
  GError             *error;
};

static void
ct_event_free (CtEvent *event)
{
  g_free (event->id);
  g_free (event->event);
  g_free (event->data);
  g_free (event);
}

static CtEventStream *
stream_ref (CtEventStream *stream)
{
  stream->ref_count++;
  return stream;
}

static void
stream_unref (CtEventStream *stream)
{
  if (--stream->ref_count > 0)
    return;

  g_clear_object (&stream->msg);
  g_clear_object (&stream->input);
  g_clear_object (&stream->cancellable);
  g_clear_pointer (&stream->parser, crossing_sse_parser_free);
  g_clear_pointer (&stream->events, g_ptr_array_unref);
  g_clear_pointer (&stream->comments, g_ptr_array_unref);
  g_string_free (stream->raw, TRUE);
  g_clear_error (&stream->error);
  g_free (stream);
}

static void
on_sse_event (const char *event_type,
              const char *data,
              const char *last_event_id,
              gpointer    user_data)
{
  CtEventStream *stream = user_data;
  CtEvent *event = g_new0 (CtEvent, 1);

  event->id = g_strdup (last_event_id);
  event->event = g_strdup (event_type);
  event->data = g_strdup (data);
  g_ptr_array_add (stream->events, event);
}

static void
on_sse_comment (const char *comment,
                gpointer    user_data)
{
  CtEventStream *stream = user_data;

  g_ptr_array_add (stream->comments, g_strdup (comment));
}

static void read_next (CtEventStream *stream);

static void
stream_end (CtEventStream *stream,
            GError        *error)
{
  stream->ended = TRUE;
  stream->headers_done = TRUE;
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (&stream->error, error);
  else
    g_clear_error (&error);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  CtEventStream *stream = user_data;
  GError *error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                              &error);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      stream_end (stream, error);
    }
  else
    {
      gsize len;
      const char *data = g_bytes_get_data (bytes, &len);

      g_string_append_len (stream->raw, data, len);
      if (soup_message_get_status (stream->msg) == SOUP_STATUS_OK)
        {
          crossing_sse_parser_feed (stream->parser, data, len, &error);
          g_assert_no_error (error);
        }
      read_next (stream);
    }

  stream_unref (stream);
}

static void
read_next (CtEventStream *stream)
{
  g_input_stream_read_bytes_async (stream->input, 4096, G_PRIORITY_DEFAULT, stream->cancellable,
                                   on_read, stream_ref (stream));
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  CtEventStream *stream = user_data;
  GError *error = NULL;

  stream->input = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (stream->input == NULL)
    stream_end (stream, error);
  else
    {
      stream->headers_done = TRUE;
      read_next (stream);
    }
  stream_unref (stream);
}

static gboolean
stream_headers_done (gpointer data)
{
  return ((CtEventStream *) data)->headers_done;
}

CtEventStream *
ct_event_stream_open (CtFixture  *f,
                      const char *order_id,
                      const char *event_token,
                      const char *last_event_id)
{
  CtEventStream *stream = g_new0 (CtEventStream, 1);
  g_autofree char *url = NULL;
  g_autofree char *order_escaped = g_uri_escape_string (order_id, NULL, FALSE);
  g_autofree char *token_escaped = g_uri_escape_string (event_token, NULL, FALSE);

  stream->ref_count = 1;
  stream->cancellable = g_cancellable_new ();
  stream->parser = crossing_sse_parser_new (on_sse_event, on_sse_comment, stream);
  stream->events = g_ptr_array_new_with_free_func ((GDestroyNotify) ct_event_free);
  stream->comments = g_ptr_array_new_with_free_func (g_free);
  stream->raw = g_string_new (NULL);

  url = g_strdup_printf ("%s/events?orderId=%s&eventToken=%s", f->api, order_escaped,
                         token_escaped);
  stream->msg = soup_message_new (SOUP_METHOD_GET, url);
  g_assert_nonnull (stream->msg);
  soup_message_headers_replace (soup_message_get_request_headers (stream->msg), "Accept",
                                "text/event-stream");
  if (last_event_id != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (stream->msg),
                                  "Last-Event-ID", last_event_id);

  soup_session_send_async (f->session, stream->msg, G_PRIORITY_DEFAULT, stream->cancellable,
                           on_sent, stream_ref (stream));
  g_assert_true (ct_wait_until (stream_headers_done, stream, CT_TIMEOUT_MS));
  g_assert_no_error (stream->error);

  if (soup_message_get_status (stream->msg) != SOUP_STATUS_OK)
    g_assert_true (ct_event_stream_wait_end (stream));
  return stream;
}

guint
ct_event_stream_get_status (CtEventStream *stream)
{
  return soup_message_get_status (stream->msg);
}

SoupMessageHeaders *
ct_event_stream_get_headers (CtEventStream *stream)
{
  return soup_message_get_response_headers (stream->msg);
}

CtResponse *
ct_event_stream_get_error_response (CtEventStream *stream)
{
  g_autoptr(GBytes) bytes = NULL;

  g_assert_true (stream->ended);
  bytes = g_bytes_new (stream->raw->str, stream->raw->len);
  return response_new (stream->msg, bytes);
}

const char *
ct_event_stream_get_raw (CtEventStream *stream)
{
  return stream->raw->str;
}

GPtrArray *
ct_event_stream_get_events (CtEventStream *stream)
{
  return stream->events;
}

CtEvent *
ct_event_stream_get_event (CtEventStream *stream,
                           guint          i)
{
  g_assert_cmpuint (i, <, stream->events->len);
  return g_ptr_array_index (stream->events, i);
}

guint
ct_event_stream_get_n_comments (CtEventStream *stream)
{
  return stream->comments->len;
}

const char *
ct_event_stream_get_comment (CtEventStream *stream,
                             guint          i)
{
  g_assert_cmpuint (i, <, stream->comments->len);
  return g_ptr_array_index (stream->comments, i);
}

gint64
ct_event_stream_get_retry (CtEventStream *stream)
{
  return crossing_sse_parser_get_retry (stream->parser);
}

gboolean
ct_event_stream_has_ended (CtEventStream *stream)
{
  return stream->ended;
}

typedef struct {
  CtEventStream *stream;
  guint          n;
} CountWait;

static gboolean
has_n_events (gpointer data)
{
  CountWait *wait = data;

  return wait->stream->events->len >= wait->n || wait->stream->ended;
}

static gboolean
has_n_comments (gpointer data)
{
  CountWait *wait = data;

  return wait->stream->comments->len >= wait->n || wait->stream->ended;
}

gboolean
ct_event_stream_wait_events (CtEventStream *stream,
                             guint          n)
{
  CountWait wait = { stream, n };

  ct_wait_until (has_n_events, &wait, CT_TIMEOUT_MS);
  g_assert_no_error (stream->error);
  return stream->events->len >= n;
}

gboolean
ct_event_stream_wait_comments (CtEventStream *stream,
                               guint          n)
{
  CountWait wait = { stream, n };

  ct_wait_until (has_n_comments, &wait, CT_TIMEOUT_MS);
  g_assert_no_error (stream->error);
  return stream->comments->len >= n;
}

static gboolean
stream_has_ended (gpointer data)
{
  return ((CtEventStream *) data)->ended;
}

gboolean
ct_event_stream_wait_end (CtEventStream *stream)
{
  gboolean ended = ct_wait_until (stream_has_ended, stream, CT_TIMEOUT_MS);

  g_assert_no_error (stream->error);
  return ended;
}

void
ct_event_stream_close (CtEventStream *stream)
{
  if (stream == NULL)
    return;
  g_cancellable_cancel (stream->cancellable);
  stream_unref (stream);
}

JsonNode *
ct_event_parse_data (const CtEvent *event)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (event->data, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return node;
}

/* ---- JSON ---------------------------------------------------------------- */

static JsonNode *
member (JsonObject *object,
        const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    g_error ("missing member %s", name);
  return node;
}

const char *
ct_json_string (JsonObject *object,
                const char *name)
{
  JsonNode *node = member (object, name);

  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_true (json_node_get_value_type (node) == G_TYPE_STRING);
  return json_node_get_string (node);
}

gint64
ct_json_int (JsonObject *object,
             const char *name)
{
  JsonNode *node = member (object, name);

  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_true (json_node_get_value_type (node) == G_TYPE_INT64);
  return json_node_get_int (node);
}

gboolean
ct_json_bool (JsonObject *object,
              const char *name)
{
  JsonNode *node = member (object, name);

  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_true (json_node_get_value_type (node) == G_TYPE_BOOLEAN);
  return json_node_get_boolean (node);
}

JsonObject *
ct_json_object (JsonObject *object,
                const char *name)
{
  JsonNode *node = member (object, name);

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

/* ---- orders -------------------------------------------------------------- */

void
ct_order_free (CtOrder *order)
{
  if (order == NULL)
    return;
  g_free (order->order_id);
  g_free (order->kind);
  g_free (order->adapter_id);
  g_free (order->claim_token);
  g_free (order->claim_url);
  g_free (order->desktop_token);
  g_free (order->event_token);
  g_free (order->challenge_token);
  g_free (order->check_code);
  g_free (order->message);
  g_free (order->public_key_hex);
  g_free (order->signature_hex);
  g_free (order);
}

void
ct_seed_for (guint  n,
             guint8 seed[CROSSING_ED25519_SEED_BYTES])
{
  for (guint i = 0; i < CROSSING_ED25519_SEED_BYTES; i++)
    seed[i] = (guint8) (n * 37 + i * 7 + 1);
}

char *
ct_ed25519_subject (const guint8 seed[CROSSING_ED25519_SEED_BYTES])
{
  guint8 pk[crypto_sign_PUBLICKEYBYTES];
  guint8 sk[crypto_sign_SECRETKEYBYTES];
  g_autofree char *hex = NULL;

  g_assert_cmpint (crypto_sign_seed_keypair (pk, sk, seed), ==, 0);
  sodium_memzero (sk, sizeof sk);
  hex = crossing_hex_encode (pk, sizeof pk);
  return g_strconcat ("ed25519:", hex, NULL);
}

CtOrder *
ct_order_start (CtFixture  *f,
                const char *kind,
                const char *extra_members)
{
  g_autoptr(CtResponse) response = NULL;
  CtOrder *order = g_new0 (CtOrder, 1);
  JsonObject *object;

  response = ct_post_printf (f, "start", "{\"kind\":\"%s\"%s%s}", kind,
                             extra_members != NULL ? "," : "",
                             extra_members != NULL ? extra_members : "");
  if (response->status != SOUP_STATUS_OK)
    g_test_message ("start: %.*s", (int) g_bytes_get_size (response->body),
                    (const char *) g_bytes_get_data (response->body, NULL));
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  object = ct_response_object (response);

  order->order_id = g_strdup (ct_json_string (object, "orderId"));
  order->kind = g_strdup (ct_json_string (object, "kind"));
  order->adapter_id = g_strdup (ct_json_string (object, "adapterId"));
  order->claim_token = g_strdup (ct_json_string (object, "claimToken"));
  order->claim_url = g_strdup (ct_json_string (object, "claimUrl"));
  order->desktop_token = g_strdup (ct_json_string (object, "desktopToken"));
  order->event_token = g_strdup (ct_json_string (object, "eventToken"));
  order->expires_at = ct_json_int (object, "expiresAt");
  ct_seed_for (0, order->seed);
  return order;
}

void
ct_order_claim (CtFixture *f,
                CtOrder   *order)
{
  g_autoptr(CtResponse) response = NULL;
  JsonObject *object;

  response = ct_post_printf (f, "claim", "{\"orderId\":\"%s\",\"claimToken\":\"%s\"}",
                             order->order_id, order->claim_token);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  object = ct_response_object (response);
  g_assert_cmpstr (ct_json_string (object, "status"), ==, "claimed");
  g_free (order->challenge_token);
  order->challenge_token = g_strdup (ct_json_string (object, "challengeToken"));
}

void
ct_order_read_check_code (CtFixture *f,
                          CtOrder   *order)
{
  g_autoptr(CtEventStream) stream = NULL;
  g_autoptr(JsonNode) data = NULL;
  JsonObject *object;
  CtEvent *event;

  /* Right after the claim, the state sent on connect is the claimed event. */
  stream = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  g_assert_cmpuint (ct_event_stream_get_status (stream), ==, SOUP_STATUS_OK);
  g_assert_true (ct_event_stream_wait_events (stream, 1));
  event = ct_event_stream_get_event (stream, 0);
  g_assert_cmpstr (event->event, ==, "claimed");
  data = ct_event_parse_data (event);
  object = json_node_get_object (data);
  g_free (order->check_code);
  order->check_code = json_object_has_member (object, "checkCode")
    ? g_strdup (ct_json_string (object, "checkCode")) : NULL;
}

JsonNode *
ct_order_challenge (CtFixture *f,
                    CtOrder   *order)
{
  g_autoptr(CtResponse) response = NULL;
  JsonObject *object;

  response = ct_post_printf (f, "challenge", "{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}",
                             order->order_id, order->challenge_token);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  object = ct_response_object (response);
  g_free (order->message);
  order->message = g_strdup (ct_json_string (object, "message"));
  return json_node_ref (response->json);
}

void
ct_order_sign (CtOrder *order)
{
  CrossingAdapter adapter = crossing_adapter_from_string (order->adapter_id);

  g_assert_nonnull (order->message);
  g_assert_cmpint (adapter, !=, CROSSING_ADAPTER_INVALID);
  g_clear_pointer (&order->public_key_hex, g_free);
  g_clear_pointer (&order->signature_hex, g_free);
  crossing_proof_sign (adapter, order->message, order->seed, &order->public_key_hex,
                       &order->signature_hex);
}

CtResponse *
ct_order_send_approve (CtFixture *f,
                       CtOrder   *order)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "orderId");
  json_builder_add_string_value (builder, order->order_id);
  json_builder_set_member_name (builder, "challengeToken");
  json_builder_add_string_value (builder, order->challenge_token);
  if (order->check_code != NULL)
    {
      json_builder_set_member_name (builder, "checkCode");
      json_builder_add_string_value (builder, order->check_code);
    }
  json_builder_set_member_name (builder, "proof");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "publicKeyHex");
  json_builder_add_string_value (builder, order->public_key_hex);
  json_builder_set_member_name (builder, "signatureHex");
  json_builder_add_string_value (builder, order->signature_hex);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);

  return ct_post (f, "approve", json);
}

void
ct_order_approve (CtFixture *f,
                  CtOrder   *order)
{
  g_autoptr(JsonNode) envelope = NULL;
  g_autoptr(CtResponse) response = NULL;
  JsonObject *object;

  ct_order_claim (f, order);
  ct_order_read_check_code (f, order);
  envelope = ct_order_challenge (f, order);
  ct_order_sign (order);
  response = ct_order_send_approve (f, order);
  if (response->status != SOUP_STATUS_OK)
    g_test_message ("approve: %.*s", (int) g_bytes_get_size (response->body),
                    (const char *) g_bytes_get_data (response->body, NULL));
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  object = ct_response_object (response);
  g_assert_true (ct_json_bool (object, "ok"));
  g_assert_cmpstr (ct_json_string (object, "orderId"), ==, order->order_id);
  g_assert_cmpstr (ct_json_string (object, "status"), ==, "approved");
}

CtResponse *
ct_order_finalize (CtFixture *f,
                   CtOrder   *order)
{
  return ct_post_printf (f, "finalize", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                         order->order_id, order->desktop_token);
}

/* ---- request context (issue 14) ------------------------------------------ */

void
ct_make_geoip_db (const char        *path,
                  const char *const *networks)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "companion",
                                                   "make-test-geoip.pl", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer) "perl");
  g_ptr_array_add (argv, script);
  g_ptr_array_add (argv, (gpointer) path);
  for (guint i = 0; networks[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) networks[i]);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("make-test-geoip.pl failed: %s", err);
}
