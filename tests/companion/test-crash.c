/* test-crash.c: SIGKILL the real companion at random moments; nothing is lost or doubled
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Login flows run against `crossing-companion serve` (a subprocess on its own
 * database), several at once, while the test kills it with SIGKILL after a
 * random delay, many times, restarting it on the same database each time.
 * After each kill, before the restart, SQLite itself checks the file (opened
 * read only here); after each restart every flow the kill cut short resumes
 * and must get exactly what the contract says for the state the database
 * holds. The kill times come from a seed the test prints; the scheduling of
 * the two processes is not reproducible, so a seed repeats a run only roughly.
 *
 * CROSSING_CRASH_KILLS sets how many kills (default 30, a few seconds);
 * CROSSING_CRASH_SEED repeats a printed seed.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "crossing-token.h"

#include "companion-sqlite-migrations.h"
#include "companion-test-utils.h"

#define DEFAULT_KILLS       30
/* Flows in flight at once. */
#define N_FLOWS             12
/* Distinct phone keys: some logins create their user, most find it. */
#define N_PHONES            8
/* The longest a companion runs before its kill. */
#define MAX_RUN_MS          150
/* One kill in this many comes right after the spawn, before the companion
 * listens (while it opens, creates or migrates the database). */
#define EARLY_KILL_ONE_IN   8
#define MAX_EARLY_KILL_MS   15
/* No order or grace period may run out during the test. */
#define LONG_TTL            "86400"
#define NO_LIMIT            "1000000"

typedef enum {
  STEP_START,
  STEP_CLAIM,
  STEP_CHECK_CODE,
  STEP_CHALLENGE,
  STEP_APPROVE,
  STEP_FINALIZE,
  STEP_FINALIZE_AGAIN,
  N_STEPS
} Step;

static const char *step_names[N_STEPS] = {
  [STEP_START] = "start",
  [STEP_CLAIM] = "claim",
  [STEP_CHECK_CODE] = "events (check code)",
  [STEP_CHALLENGE] = "challenge",
  [STEP_APPROVE] = "approve",
  [STEP_FINALIZE] = "finalize",
  [STEP_FINALIZE_AGAIN] = "second finalize",
};

static const char *step_endpoints[N_STEPS] = {
  [STEP_START] = "start",
  [STEP_CLAIM] = "claim",
  [STEP_CHALLENGE] = "challenge",
  [STEP_APPROVE] = "approve",
  [STEP_FINALIZE] = "finalize",
  [STEP_FINALIZE_AGAIN] = "finalize",
};

/* The order's state before a step runs and after it succeeded. A step whose
 * answer died with the companion must have left one of the two. */
static const struct {
  CrossingStatus before;
  CrossingStatus after;
} step_states[N_STEPS] = {
  [STEP_START] = { CROSSING_STATUS_INVALID, CROSSING_STATUS_CREATED },
  [STEP_CLAIM] = { CROSSING_STATUS_CREATED, CROSSING_STATUS_CLAIMED },
  [STEP_CHECK_CODE] = { CROSSING_STATUS_CLAIMED, CROSSING_STATUS_CLAIMED },
  [STEP_CHALLENGE] = { CROSSING_STATUS_CLAIMED, CROSSING_STATUS_WAITING_USER },
  [STEP_APPROVE] = { CROSSING_STATUS_WAITING_USER, CROSSING_STATUS_APPROVED },
  [STEP_FINALIZE] = { CROSSING_STATUS_APPROVED, CROSSING_STATUS_FINALIZED },
  [STEP_FINALIZE_AGAIN] = { CROSSING_STATUS_FINALIZED, CROSSING_STATUS_FINALIZED },
};

typedef struct _Harness Harness;

typedef struct {
  GDataInputStream *out;
  char             *url;
  gboolean          ended;
} OutputReader;

/* One desktop and its phone, going through one login after another. */
typedef struct {
  Harness           *h;
  guint              phone;
  Step               step;        /* in flight, or the next to run */
  gboolean           in_flight;
  gboolean           lost;        /* the companion died with @step in flight */
  gboolean           redoing;     /* @step went through before a kill, lost its answer,
                                   * and runs again (challenge may) */
  CrossingStatus     db_status;   /* the order's state in the database after the kill */
  char              *order_id;
  char              *adapter_id;
  char              *claim_token;
  char              *desktop_token;
  char              *event_token;
  char              *challenge_token;
  char              *check_code;
  char              *message;
  char              *public_key_hex;
  char              *signature_hex;
  /* The event stream that shows the check code. */
  SoupMessage       *stream_msg;
  GInputStream      *stream_input;
  GCancellable      *stream_cancellable;
  CrossingSseParser *parser;
} Flow;

/* A login finalize that answered 200 (or, with no token, one that won but
 * whose answer died with the companion). */
typedef struct {
  char *desktop_token;
  char *subject;
  char *session_token;
} Finalized;

struct _Harness {
  guint32           seed;
  GRand            *rand;
  char             *companion;
  char             *tmp_dir;
  char             *db_path;
  GSubprocess      *process;
  GDataInputStream *process_out;
  OutputReader     *reader;
  gboolean          killed;
  SoupSession      *session;
  char             *url;
  char             *api;
  Flow             *flows[N_FLOWS];
  guint             next_phone;
  GHashTable       *finalized;    /* order id -> Finalized */
  GPtrArray        *fresh;        /* ids finalized since the last restart */
  gboolean          schema_seen;

  guint             kills;
  guint             early_kills;
  guint             started;
  guint             completed;
  guint             resumed;
  guint             lost_starts;
  guint             abandoned;
  guint             finalized_after_restart;
};

static G_NORETURN void crash_fail (Harness    *h,
                                   const char *format,
                                   ...) G_GNUC_PRINTF (2, 3);

static void
crash_fail (Harness    *h,
            const char *format,
            ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  if (h->process != NULL)
    {
      /* Reaped already: it died by itself, which explains most failures. */
      if (g_subprocess_get_identifier (h->process) == NULL && !h->killed)
        g_test_message ("The companion had died: wait status %d",
                        g_subprocess_get_status (h->process));
      g_subprocess_force_exit (h->process);
    }
  g_error ("After %u kills (CROSSING_CRASH_SEED=%u; database kept in %s): %s", h->kills, h->seed,
           h->tmp_dir, what);
}

static const char *
status_name (CrossingStatus status)
{
  const char *name = crossing_status_to_string (status);

  return name != NULL ? name : "(no order)";
}

/* ---- requests ------------------------------------------------------------ */

typedef struct {
  char     *what;
  guint     status;
  GBytes   *body;
  JsonNode *json;
  GError   *error;     /* set when no answer came */
} Reply;

typedef void (*ReplyFunc) (Reply    *reply,
                           gpointer  user_data);

typedef struct {
  SoupMessage *msg;
  char        *what;
  ReplyFunc    func;
  gpointer     user_data;
} Call;

static void
reply_free (Reply *reply)
{
  g_free (reply->what);
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_clear_pointer (&reply->json, json_node_unref);
  g_clear_error (&reply->error);
  g_free (reply);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

static void
on_call_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Call *call = user_data;
  Reply *reply = g_new0 (Reply, 1);

  reply->what = g_steal_pointer (&call->what);
  reply->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &reply->error);
  if (reply->body != NULL)
    {
      const char *type = soup_message_headers_get_content_type (
        soup_message_get_response_headers (call->msg), NULL);
      gsize len;
      const char *data = g_bytes_get_data (reply->body, &len);

      reply->status = soup_message_get_status (call->msg);
      if (g_strcmp0 (type, "application/json") == 0)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();

          if (json_parser_load_from_data (parser, data, len, NULL) &&
              JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
            reply->json = json_node_ref (json_parser_get_root (parser));
        }
    }

  call->func (reply, call->user_data);
  g_object_unref (call->msg);
  g_free (call);
}

static void
request_async (Harness     *h,
               SoupMessage *msg,
               const char  *what,
               ReplyFunc    func,
               gpointer     user_data)
{
  Call *call = g_new0 (Call, 1);

  call->msg = msg;
  call->what = g_strdup (what);
  call->func = func;
  call->user_data = user_data;
  soup_session_send_and_read_async (h->session, msg, G_PRIORITY_DEFAULT, NULL, on_call_done,
                                    call);
}

static SoupMessage *
post_message (Harness    *h,
              const char *endpoint,
              const char *body)
{
  g_autofree char *url = g_strconcat (h->api, "/", endpoint, NULL);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  SoupMessage *msg = soup_message_new (SOUP_METHOD_POST, url);

  g_assert_nonnull (msg);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  return msg;
}

static void
on_sync_reply (Reply    *reply,
               gpointer  user_data)
{
  *(Reply **) user_data = reply;
}

static gboolean
sync_done (gpointer data)
{
  return *(Reply **) data != NULL;
}

/* Only while no kill can come: an answer is due. */
static Reply *
request_sync (Harness     *h,
              SoupMessage *msg,
              const char  *what)
{
  Reply *reply = NULL;

  request_async (h, msg, what, on_sync_reply, &reply);
  if (!ct_wait_until (sync_done, &reply, CT_TIMEOUT_MS))
    crash_fail (h, "%s: no answer within %u ms", what, CT_TIMEOUT_MS);
  if (reply->error != NULL)
    crash_fail (h, "%s: the running companion did not answer: %s", what, reply->error->message);
  return reply;
}

static JsonObject *
reply_expect (Harness    *h,
              Reply      *reply,
              guint       status,
              const char *code)
{
  JsonObject *object = reply->json != NULL ? json_node_get_object (reply->json) : NULL;
  const char *got_code = object != NULL
    ? json_object_get_string_member_with_default (object, "code", NULL) : NULL;

  if (reply->status != status || object == NULL || g_strcmp0 (got_code, code) != 0)
    {
      gsize len = 0;
      const char *body = reply->body != NULL ? g_bytes_get_data (reply->body, &len) : NULL;

      crash_fail (h, "%s: expected %u %s, got %u: %.*s", reply->what, status,
                  code != NULL ? code : "", reply->status, (int) MIN (len, 400),
                  body != NULL ? body : "");
    }
  return object;
}

static const char *
reply_string (Harness    *h,
              Reply      *reply,
              JsonObject *object,
              const char *member)
{
  const char *value = json_object_get_string_member_with_default (object, member, NULL);

  if (value == NULL)
    crash_fail (h, "%s: the answer has no string %s", reply->what, member);
  return value;
}

/* ---- the companion ------------------------------------------------------- */

static void
die_with_parent (gpointer user_data)
{
#ifdef __linux__
  /* A failed test must not leave a companion behind. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
}

static void
companion_spawn (Harness *h)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (h->process);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  h->process = g_subprocess_launcher_spawn (launcher, &error, h->companion, "serve",
                                            "--listen", "127.0.0.1:0",
                                            "--db", h->db_path,
                                            "--order-ttl", LONG_TTL,
                                            "--finalize-grace", LONG_TTL,
                                            /* One client starts all the orders. */
                                            "--max-starts-per-minute", NO_LIMIT,
                                            "--max-failures-per-minute", NO_LIMIT,
                                            "--max-pending-orders", NO_LIMIT,
                                            "--max-connections-per-ip", NO_LIMIT,
                                            NULL);
  g_assert_no_error (error);
  h->process_out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (h->process));
  h->killed = FALSE;
}

#define LISTENING "crossing-companion listening on "

/* Reads the companion's output to its end: the listening line gives the URL,
 * the rest (logs, with G_MESSAGES_DEBUG) is passed on, so the pipe never
 * fills up and blocks it. */
static void read_output (OutputReader *reader);

static void
on_output_line (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  OutputReader *reader = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     result, NULL, NULL);

  if (line == NULL)
    {
      reader->ended = TRUE;
      return;
    }

  if (reader->url == NULL && g_str_has_prefix (line, LISTENING))
    reader->url = g_strdup (line + strlen (LISTENING));
  else
    g_test_message ("companion: %s", line);
  read_output (reader);
}

static void
read_output (OutputReader *reader)
{
  g_data_input_stream_read_line_async (reader->out, G_PRIORITY_DEFAULT, NULL, on_output_line,
                                       reader);
}

static gboolean
url_found_or_ended (gpointer data)
{
  OutputReader *reader = data;

  return reader->url != NULL || reader->ended;
}

static void
companion_wait_listening (Harness *h)
{
  g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);
  OutputReader *reader = g_new0 (OutputReader, 1);

  g_assert_null (h->reader);
  h->reader = reader;
  reader->out = g_steal_pointer (&h->process_out);
  read_output (reader);
  if (!ct_wait_until (url_found_or_ended, reader, 2 * CT_TIMEOUT_MS))
    crash_fail (h, "the companion did not say it listens");
  if (reader->url == NULL)
    crash_fail (h, "the companion did not start on the killed database (see its stderr above)");

  h->url = g_steal_pointer (&reader->url);

  h->api = g_strconcat (h->url, "/api/auth", CROSSING_CROSS_DEVICE_PREFIX, NULL);

  /* A new session per companion: nothing of the old one is retried here. */
  h->session = soup_session_new_with_options ("max-conns", 128,
                                              "max-conns-per-host", 128,
                                              "proxy-resolver", direct,
                                              "user-agent", "crossing-crash-test/1",
                                              NULL);
}

static gboolean
no_flow_in_flight (gpointer data)
{
  Harness *h = data;

  for (guint i = 0; i < N_FLOWS; i++)
    if (h->flows[i]->in_flight)
      return FALSE;
  return TRUE;
}

static gboolean
output_ended (gpointer data)
{
  return ((OutputReader *) data)->ended;
}

static void
companion_forget (Harness *h)
{
  if (h->session != NULL)
    {
      soup_session_abort (h->session);
      ct_drain_main_context ();
      g_clear_object (&h->session);
    }
  g_clear_object (&h->process_out);
  if (h->reader != NULL)
    {
      /* The process is gone: its output ends at once. */
      if (!ct_wait_until (output_ended, h->reader, CT_TIMEOUT_MS))
        crash_fail (h, "the output of the dead companion did not end");
      g_object_unref (h->reader->out);
      g_free (h->reader->url);
      g_clear_pointer (&h->reader, g_free);
    }
  g_clear_object (&h->process);
  g_clear_pointer (&h->url, g_free);
  g_clear_pointer (&h->api, g_free);
}

static void
companion_kill (Harness *h)
{
  g_autoptr(GError) error = NULL;

  /* Set first: every request that fails from now on failed because of us. */
  h->killed = TRUE;
  g_subprocess_send_signal (h->process, SIGKILL);
  g_subprocess_wait (h->process, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_signaled (h->process) ||
      g_subprocess_get_term_sig (h->process) != SIGKILL)
    crash_fail (h, "the companion ended by itself before the kill (wait status %d)",
                g_subprocess_get_status (h->process));
  h->kills++;

  /* Answers already on their way are read to the end; the rest fail. */
  if (!ct_wait_until (no_flow_in_flight, h, CT_TIMEOUT_MS))
    crash_fail (h, "requests to the killed companion did not fail");
  companion_forget (h);
}

/* SIGTERM: the companion closes the database and exits 0. */
static void
companion_stop (Harness *h)
{
  g_autoptr(GError) error = NULL;

  h->killed = TRUE;
  g_subprocess_send_signal (h->process, SIGTERM);
  g_subprocess_wait (h->process, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (h->process) || g_subprocess_get_exit_status (h->process) != 0)
    crash_fail (h, "the companion did not exit 0 on SIGTERM (wait status %d)",
                g_subprocess_get_status (h->process));
  companion_forget (h);
}

/* ---- flows --------------------------------------------------------------- */

static void
flow_reset (Flow *flow)
{
  Harness *h = flow->h;

  g_assert_false (flow->in_flight);
  g_clear_pointer (&flow->order_id, g_free);
  g_clear_pointer (&flow->adapter_id, g_free);
  g_clear_pointer (&flow->claim_token, g_free);
  g_clear_pointer (&flow->desktop_token, g_free);
  g_clear_pointer (&flow->event_token, g_free);
  g_clear_pointer (&flow->challenge_token, g_free);
  g_clear_pointer (&flow->check_code, g_free);
  g_clear_pointer (&flow->message, g_free);
  g_clear_pointer (&flow->public_key_hex, g_free);
  g_clear_pointer (&flow->signature_hex, g_free);
  flow->step = STEP_START;
  flow->lost = FALSE;
  flow->redoing = FALSE;
  flow->db_status = CROSSING_STATUS_INVALID;
  flow->phone = h->next_phone++ % N_PHONES;
}

static Flow *
flow_new (Harness *h)
{
  Flow *flow = g_new0 (Flow, 1);

  flow->h = h;
  flow_reset (flow);
  return flow;
}

static void
flow_free (Flow *flow)
{
  flow_reset (flow);
  g_free (flow);
}

static char *
flow_body (Flow *flow,
           Step  step)
{
  switch (step)
    {
    case STEP_START:
      return g_strdup ("{\"kind\":\"login\"}");
    case STEP_CLAIM:
      return g_strdup_printf ("{\"orderId\":\"%s\",\"claimToken\":\"%s\"}", flow->order_id,
                              flow->claim_token);
    case STEP_CHALLENGE:
      return g_strdup_printf ("{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}", flow->order_id,
                              flow->challenge_token);
    case STEP_APPROVE:
      return g_strdup_printf ("{\"orderId\":\"%s\",\"challengeToken\":\"%s\",\"checkCode\":\"%s\","
                              "\"proof\":{\"publicKeyHex\":\"%s\",\"signatureHex\":\"%s\"}}",
                              flow->order_id, flow->challenge_token, flow->check_code,
                              flow->public_key_hex, flow->signature_hex);
    case STEP_FINALIZE:
    case STEP_FINALIZE_AGAIN:
      return g_strdup_printf ("{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}", flow->order_id,
                              flow->desktop_token);
    case STEP_CHECK_CODE:
    case N_STEPS:
    default:
      g_assert_not_reached ();
    }
}

static char *
flow_what (Flow *flow,
           Step  step)
{
  return g_strdup_printf ("%s of order %.8s", step_names[step],
                          flow->order_id != NULL ? flow->order_id : "(new)");
}

static SoupMessage *
flow_message (Flow *flow,
              Step  step)
{
  g_autofree char *body = flow_body (flow, step);

  return post_message (flow->h, step_endpoints[step], body);
}

static void
record_finalized (Flow       *flow,
                  const char *session_token)
{
  Harness *h = flow->h;
  Finalized *finalized;
  guint8 seed[CROSSING_ED25519_SEED_BYTES];

  if (g_hash_table_contains (h->finalized, flow->order_id))
    crash_fail (h, "order %.8s was finalized twice: a second finalize answered 200",
                flow->order_id);

  ct_seed_for (flow->phone, seed);
  finalized = g_new0 (Finalized, 1);
  finalized->desktop_token = g_strdup (flow->desktop_token);
  finalized->subject = ct_ed25519_subject (seed);
  finalized->session_token = g_strdup (session_token);
  g_hash_table_insert (h->finalized, g_strdup (flow->order_id), finalized);
  if (session_token != NULL)
    g_ptr_array_add (h->fresh, g_strdup (flow->order_id));
}

static void
finalized_free (Finalized *finalized)
{
  g_free (finalized->desktop_token);
  g_free (finalized->subject);
  g_free (finalized->session_token);
  g_free (finalized);
}

static void
flow_sign (Flow *flow)
{
  CrossingAdapter adapter = crossing_adapter_from_string (flow->adapter_id);
  guint8 seed[CROSSING_ED25519_SEED_BYTES];

  g_assert_cmpint (adapter, ==, CROSSING_ADAPTER_ED25519);
  ct_seed_for (flow->phone, seed);
  g_clear_pointer (&flow->public_key_hex, g_free);
  g_clear_pointer (&flow->signature_hex, g_free);
  crossing_proof_sign (adapter, flow->message, seed, &flow->public_key_hex,
                       &flow->signature_hex);
}

/* What the contract answers to each step of a flow that goes right; takes
 * what the next step needs and moves on. */
static void
flow_take_reply (Flow  *flow,
                 Reply *reply)
{
  Harness *h = flow->h;
  JsonObject *object;

  /* Answered: whatever ran again is done. */
  flow->redoing = FALSE;

  switch (flow->step)
    {
    case STEP_START:
      object = reply_expect (h, reply, SOUP_STATUS_OK, NULL);
      flow->order_id = g_strdup (reply_string (h, reply, object, "orderId"));
      flow->adapter_id = g_strdup (reply_string (h, reply, object, "adapterId"));
      flow->claim_token = g_strdup (reply_string (h, reply, object, "claimToken"));
      flow->desktop_token = g_strdup (reply_string (h, reply, object, "desktopToken"));
      flow->event_token = g_strdup (reply_string (h, reply, object, "eventToken"));
      h->started++;
      flow->step = STEP_CLAIM;
      break;

    case STEP_CLAIM:
      object = reply_expect (h, reply, SOUP_STATUS_OK, NULL);
      g_assert_cmpstr (reply_string (h, reply, object, "status"), ==, "claimed");
      flow->challenge_token = g_strdup (reply_string (h, reply, object, "challengeToken"));
      flow->step = STEP_CHECK_CODE;
      break;

    case STEP_CHALLENGE:
      object = reply_expect (h, reply, SOUP_STATUS_OK, NULL);
      g_free (flow->message);
      flow->message = g_strdup (reply_string (h, reply, object, "message"));
      flow_sign (flow);
      flow->step = STEP_APPROVE;
      break;

    case STEP_APPROVE:
      object = reply_expect (h, reply, SOUP_STATUS_OK, NULL);
      g_assert_cmpstr (reply_string (h, reply, object, "status"), ==, "approved");
      flow->step = STEP_FINALIZE;
      break;

    case STEP_FINALIZE:
      object = reply_expect (h, reply, SOUP_STATUS_OK, NULL);
      g_assert_cmpstr (reply_string (h, reply, object, "status"), ==, "finalized");
      record_finalized (flow, reply_string (h, reply, object, "token"));
      flow->step = STEP_FINALIZE_AGAIN;
      break;

    case STEP_FINALIZE_AGAIN:
      reply_expect (h, reply, SOUP_STATUS_CONFLICT, "FINALIZE_ALREADY_USED");
      h->completed++;
      flow_reset (flow);
      break;

    case STEP_CHECK_CODE:
    case N_STEPS:
    default:
      g_assert_not_reached ();
    }
}

static void flow_run (Flow *flow);

static void
flow_stopped (Flow   *flow,
              GError *error)
{
  Harness *h = flow->h;

  flow->in_flight = FALSE;
  if (error != NULL)
    {
      if (!h->killed)
        {
          g_autofree char *what = flow_what (flow, flow->step);

          crash_fail (h, "%s: the running companion did not answer: %s", what, error->message);
        }
      flow->lost = TRUE;
    }
  if (!h->killed && !flow->lost)
    flow_run (flow);
}

static void
on_flow_reply (Reply    *reply,
               gpointer  user_data)
{
  g_autoptr(Reply) owned = reply;
  Flow *flow = user_data;

  flow->in_flight = FALSE;
  if (reply->error == NULL)
    flow_take_reply (flow, reply);
  flow_stopped (flow, reply->error);
}

/* The check code: the desktop reads it from the claimed event. Last-Event-ID
 * 0 replays every event, so a stream opened after a restart finds it too. */
static void
on_sse_event (const char *event_type,
              const char *data,
              const char *last_event_id,
              gpointer    user_data)
{
  Flow *flow = user_data;
  g_autoptr(JsonNode) node = NULL;
  const char *code;

  if (g_strcmp0 (event_type, "claimed") != 0 || flow->check_code != NULL)
    return;

  node = json_from_string (data, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    crash_fail (flow->h, "order %.8s: the claimed event is not an object: %s", flow->order_id,
                data);
  code = json_object_get_string_member_with_default (json_node_get_object (node), "checkCode",
                                                     NULL);
  if (code == NULL)
    crash_fail (flow->h, "order %.8s: the claimed event has no checkCode", flow->order_id);
  flow->check_code = g_strdup (code);
}

static void
stream_finish (Flow   *flow,
               GError *error)
{
  Harness *h = flow->h;
  g_autoptr(GError) owned = error;

  g_cancellable_cancel (flow->stream_cancellable);
  g_clear_object (&flow->stream_input);
  g_clear_object (&flow->stream_msg);
  g_clear_object (&flow->stream_cancellable);
  g_clear_pointer (&flow->parser, crossing_sse_parser_free);

  if (flow->check_code != NULL)
    {
      flow->step = STEP_CHALLENGE;
      flow_stopped (flow, NULL);
    }
  else if (error == NULL && !h->killed)
    crash_fail (h, "order %.8s: the event stream ended without the claimed event", flow->order_id);
  else
    {
      g_autoptr(GError) ended = NULL;

      if (error == NULL)
        ended = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, "the stream ended");
      flow_stopped (flow, error != NULL ? error : ended);
    }
}

static void stream_read (Flow *flow);

static void
on_stream_read (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Flow *flow = user_data;
  GError *error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                              &error);
  gsize len;
  const char *data;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      stream_finish (flow, error);
      return;
    }

  data = g_bytes_get_data (bytes, &len);
  if (!crossing_sse_parser_feed (flow->parser, data, len, &error))
    crash_fail (flow->h, "order %.8s: bad event stream: %s", flow->order_id, error->message);

  if (flow->check_code != NULL)
    stream_finish (flow, NULL);
  else
    stream_read (flow);
}

static void
stream_read (Flow *flow)
{
  g_input_stream_read_bytes_async (flow->stream_input, 4096, G_PRIORITY_DEFAULT,
                                   flow->stream_cancellable, on_stream_read, flow);
}

static void
on_stream_sent (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Flow *flow = user_data;
  GError *error = NULL;

  flow->stream_input = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (flow->stream_input == NULL)
    {
      stream_finish (flow, error);
      return;
    }
  if (soup_message_get_status (flow->stream_msg) != SOUP_STATUS_OK)
    crash_fail (flow->h, "order %.8s: the event stream answered %u", flow->order_id,
                soup_message_get_status (flow->stream_msg));
  stream_read (flow);
}

static void
stream_open (Flow *flow)
{
  Harness *h = flow->h;
  g_autofree char *url = NULL;
  SoupMessageHeaders *headers;

  /* Tokens are URL-safe: they go into the query as they are. */
  url = g_strdup_printf ("%s/events?orderId=%s&eventToken=%s", h->api, flow->order_id,
                         flow->event_token);
  flow->stream_msg = soup_message_new (SOUP_METHOD_GET, url);
  g_assert_nonnull (flow->stream_msg);
  headers = soup_message_get_request_headers (flow->stream_msg);
  soup_message_headers_replace (headers, "Accept", "text/event-stream");
  soup_message_headers_replace (headers, "Last-Event-ID", "0");
  flow->stream_cancellable = g_cancellable_new ();
  flow->parser = crossing_sse_parser_new (on_sse_event, NULL, flow);
  soup_session_send_async (h->session, flow->stream_msg, G_PRIORITY_DEFAULT,
                           flow->stream_cancellable, on_stream_sent, flow);
}

static void
flow_run (Flow *flow)
{
  g_autofree char *what = NULL;

  g_assert_false (flow->in_flight);
  flow->in_flight = TRUE;
  if (flow->step == STEP_CHECK_CODE)
    {
      stream_open (flow);
      return;
    }
  what = flow_what (flow, flow->step);
  request_async (flow->h, flow_message (flow, flow->step), what, on_flow_reply, flow);
}

/* ---- after a kill: the database -------------------------------------------- */

static gint64
db_count (Harness    *h,
          sqlite3    *db,
          const char *sql)
{
  sqlite3_stmt *s = NULL;
  gint64 count;

  if (sqlite3_prepare_v2 (db, sql, -1, &s, NULL) != SQLITE_OK || sqlite3_step (s) != SQLITE_ROW)
    crash_fail (h, "cannot run %s: %s", sql, sqlite3_errmsg (db));
  count = sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);
  return count;
}

/* Each must be 0: a state no sequence of whole transactions can leave. */
static void
db_assert_none (Harness    *h,
                sqlite3    *db,
                const char *what,
                const char *sql)
{
  gint64 count = db_count (h, db, sql);

  if (count != 0)
    crash_fail (h, "the database has %" G_GINT64_FORMAT " %s", count, what);
}

static void
db_check_pragmas (Harness *h,
                  sqlite3 *db)
{
  sqlite3_stmt *s = NULL;
  const char *result;

  if (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK ||
      sqlite3_step (s) != SQLITE_ROW)
    crash_fail (h, "cannot run PRAGMA integrity_check: %s", sqlite3_errmsg (db));
  result = (const char *) sqlite3_column_text (s, 0);
  if (g_strcmp0 (result, "ok") != 0)
    crash_fail (h, "PRAGMA integrity_check: %s", result);
  sqlite3_finalize (s);

  if (sqlite3_prepare_v2 (db, "PRAGMA foreign_key_check", -1, &s, NULL) != SQLITE_OK)
    crash_fail (h, "cannot run PRAGMA foreign_key_check: %s", sqlite3_errmsg (db));
  if (sqlite3_step (s) == SQLITE_ROW)
    crash_fail (h, "PRAGMA foreign_key_check: a row of %s points nowhere",
                sqlite3_column_text (s, 0));
  sqlite3_finalize (s);
}

static void
db_check_invariants (Harness *h,
                     sqlite3 *db)
{
  g_autofree char *orphan_sessions = NULL;
  g_autofree char *logins_without_session = NULL;
  g_autofree char *half_approved = NULL;
  g_autofree char *half_finalized = NULL;
  g_autofree char *claimed_without_token = NULL;

  orphan_sessions = g_strdup_printf (
    "SELECT count(*) FROM sessions s LEFT JOIN orders o ON o.id = s.order_id"
    " WHERE o.id IS NULL OR o.status != %d OR o.kind != %d OR o.session_id IS NOT s.id",
    CROSSING_STATUS_FINALIZED, CROSSING_KIND_LOGIN);
  db_assert_none (h, db, "sessions without a finalized login order", orphan_sessions);

  /* Nobody signs out here: every finalized login keeps its session. */
  logins_without_session = g_strdup_printf (
    "SELECT count(*) FROM orders o WHERE o.status = %d AND o.kind = %d AND NOT EXISTS"
    " (SELECT 1 FROM sessions s WHERE s.order_id = o.id AND s.id = o.session_id)",
    CROSSING_STATUS_FINALIZED, CROSSING_KIND_LOGIN);
  db_assert_none (h, db, "finalized logins without their session", logins_without_session);

  db_assert_none (h, db, "orders whose events disagree with their state",
                  "SELECT count(*) FROM orders o"
                  " WHERE o.event_seq != (SELECT count(*) FROM order_events e"
                  "                       WHERE e.order_id = o.id)"
                  " OR (o.event_seq > 0 AND o.status IS NOT"
                  "     (SELECT e.status FROM order_events e"
                  "      WHERE e.order_id = o.id AND e.seq = o.event_seq))");

  half_approved = g_strdup_printf (
    "SELECT count(*) FROM orders WHERE status IN (%d, %d) AND (subject IS NULL"
    " OR public_key_hex IS NULL OR signature_hex IS NULL OR approved_at = 0)",
    CROSSING_STATUS_APPROVED, CROSSING_STATUS_FINALIZED);
  db_assert_none (h, db, "half-approved orders (approved without subject or proof)",
                  half_approved);

  half_finalized = g_strdup_printf (
    "SELECT count(*) FROM orders WHERE (status = %d) != (finalized_at != 0)",
    CROSSING_STATUS_FINALIZED);
  db_assert_none (h, db, "orders with finalized_at that disagrees with their state",
                  half_finalized);

  claimed_without_token = g_strdup_printf (
    "SELECT count(*) FROM orders WHERE status IN (%d, %d, %d, %d)"
    " AND (challenge_token_hash IS NULL OR check_code IS NULL)",
    CROSSING_STATUS_CLAIMED, CROSSING_STATUS_WAITING_USER, CROSSING_STATUS_APPROVED,
    CROSSING_STATUS_FINALIZED);
  db_assert_none (h, db, "claimed orders without a challenge token or check code",
                  claimed_without_token);
}

static CrossingStatus
db_order_status (Harness      *h,
                 sqlite3_stmt *s,
                 const char   *order_id)
{
  CrossingStatus status = CROSSING_STATUS_INVALID;
  int rc;

  sqlite3_reset (s);
  sqlite3_bind_text (s, 1, order_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    status = sqlite3_column_int (s, 0);
  else if (rc != SQLITE_DONE)
    crash_fail (h, "cannot read order %.8s", order_id);
  sqlite3_reset (s);
  return status;
}

/* What we saw and what the file holds agree: an answer we got is never
 * undone, a step we lost is whole or absent. */
static void
db_check_flows (Harness *h,
                sqlite3 *db)
{
  sqlite3_stmt *s = NULL;
  guint lost_finalized = 0;
  gint64 finalized;

  if (sqlite3_prepare_v2 (db, "SELECT status FROM orders WHERE id = ?1", -1, &s,
                          NULL) != SQLITE_OK)
    crash_fail (h, "cannot prepare: %s", sqlite3_errmsg (db));

  for (guint i = 0; i < N_FLOWS; i++)
    {
      Flow *flow = h->flows[i];
      CrossingStatus before = step_states[flow->step].before;
      CrossingStatus after = step_states[flow->step].after;

      if (flow->order_id == NULL)
        continue;

      flow->db_status = db_order_status (h, s, flow->order_id);
      /* A step that went through before an earlier kill may be about to
       * run again: its order is already past it. */
      if (flow->redoing && flow->db_status == after)
        before = after;
      if (!flow->lost && flow->db_status != before)
        crash_fail (h, "order %.8s is %s in the database; the desktop was about to send %s, so "
                    "it must be %s", flow->order_id, status_name (flow->db_status),
                    step_names[flow->step], status_name (before));
      if (flow->lost && flow->db_status != before && flow->db_status != after)
        crash_fail (h, "order %.8s is %s in the database; the desktop lost the answer to %s, so "
                    "it must be %s or %s", flow->order_id, status_name (flow->db_status),
                    step_names[flow->step], status_name (before), status_name (after));

      if (flow->lost && flow->step == STEP_FINALIZE &&
          flow->db_status == CROSSING_STATUS_FINALIZED)
        lost_finalized++;
    }

  /* Every finalize that answered 200 is there, and the answers that never
   * arrived account for every other. */
  for (guint i = 0; i < h->fresh->len; i++)
    {
      const char *order_id = g_ptr_array_index (h->fresh, i);
      CrossingStatus status = db_order_status (h, s, order_id);

      if (status != CROSSING_STATUS_FINALIZED)
        crash_fail (h, "order %.8s got a finalize 200 but is %s in the database", order_id,
                    status_name (status));
    }
  sqlite3_finalize (s);

  {
    g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM orders WHERE status = %d",
                                            CROSSING_STATUS_FINALIZED);

    finalized = db_count (h, db, sql);
  }
  if (finalized != g_hash_table_size (h->finalized) + lost_finalized)
    crash_fail (h, "the database has %" G_GINT64_FORMAT " finalized orders, the desktops know %u"
                " and lost the answer of %u", finalized, g_hash_table_size (h->finalized),
                lost_finalized);
}

static void
db_check (Harness *h)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;
  int version = 0;

  if (!g_file_test (h->db_path, G_FILE_TEST_EXISTS))
    {
      /* Only a companion killed before it ever opened the file leaves none. */
      if (h->schema_seen)
        crash_fail (h, "the database file is gone");
      return;
    }

  if (sqlite3_open_v2 (h->db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    crash_fail (h, "cannot open the database read only: %s", sqlite3_errmsg (db));

  db_check_pragmas (h, db);

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
      sqlite3_step (s) != SQLITE_ROW)
    crash_fail (h, "cannot read the schema version: %s", sqlite3_errmsg (db));
  version = sqlite3_column_int (s, 0);
  sqlite3_finalize (s);

  if (version == 0)
    {
      /* Killed while creating it: all of the schema or none, and only then. */
      if (h->schema_seen)
        crash_fail (h, "the database lost its schema");
      if (db_count (h, db, "SELECT count(*) FROM sqlite_schema") != 0)
        crash_fail (h, "the database has part of a schema at version 0");
    }
  else
    {
      h->schema_seen = TRUE;
      g_assert_cmpint (version, ==, COMPANION_SQLITE_SCHEMA_PER_FEATURE);
      db_check_invariants (h, db);
      db_check_flows (h, db);
    }

  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

/* ---- after a restart: the contract ---------------------------------------- */

/* Finalizes that answered 200 before the kill stay done: the login cannot be
 * used again, and its session token works. */
static void
check_fresh (Harness *h)
{
  g_autoptr(GPtrArray) fresh = g_steal_pointer (&h->fresh);

  h->fresh = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < fresh->len; i++)
    {
      const char *order_id = g_ptr_array_index (fresh, i);
      Finalized *finalized = g_hash_table_lookup (h->finalized, order_id);
      g_autofree char *body = NULL;
      g_autofree char *what = NULL;
      g_autofree char *url = NULL;
      g_autofree char *bearer = NULL;
      g_autoptr(Reply) again = NULL;
      g_autoptr(Reply) session = NULL;
      SoupMessage *msg;
      JsonObject *object;
      JsonObject *user;

      body = g_strdup_printf ("{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}", order_id,
                              finalized->desktop_token);
      what = g_strdup_printf ("finalize after restart of finalized order %.8s", order_id);
      again = request_sync (h, post_message (h, "finalize", body), what);
      reply_expect (h, again, SOUP_STATUS_CONFLICT, "FINALIZE_ALREADY_USED");

      url = g_strconcat (h->url, "/api/auth/get-session", NULL);
      msg = soup_message_new (SOUP_METHOD_GET, url);
      bearer = g_strdup_printf ("Bearer %s", finalized->session_token);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    bearer);
      g_free (what);
      what = g_strdup_printf ("get-session after restart for order %.8s", order_id);
      session = request_sync (h, msg, what);
      object = reply_expect (h, session, SOUP_STATUS_OK, NULL);
      if (json_object_get_object_member (object, "session") == NULL ||
          (user = json_object_get_object_member (object, "user")) == NULL)
        crash_fail (h, "%s: no session", what);
      if (g_strcmp0 (json_object_get_string_member_with_default (user, "subject", NULL),
                     finalized->subject) != 0)
        crash_fail (h, "%s: the session belongs to someone else", what);
    }
}

static void
flow_step_sync (Flow *flow)
{
  g_autofree char *what = flow_what (flow, flow->step);
  g_autoptr(Reply) reply = request_sync (flow->h, flow_message (flow, flow->step), what);

  flow_take_reply (flow, reply);
}

static void
flow_expect_sync (Flow       *flow,
                  Step        step,
                  guint       status,
                  const char *code)
{
  g_autofree char *what = flow_what (flow, step);
  g_autoptr(Reply) reply = request_sync (flow->h, flow_message (flow, step), what);

  reply_expect (flow->h, reply, status, code);
}

/* An approved order is finalized by the first finalize after the restart,
 * and refused by the second. */
static void
flow_finalize_twice (Flow *flow)
{
  g_assert_cmpint (flow->step, ==, STEP_FINALIZE);
  flow_step_sync (flow);
  flow_step_sync (flow);
  g_assert_cmpint (flow->step, ==, STEP_START);
  flow->h->finalized_after_restart++;
}

static void
flow_cancel_sync (Flow *flow)
{
  Harness *h = flow->h;
  g_autofree char *what = g_strdup_printf ("cancel of order %.8s", flow->order_id);
  g_autofree char *body = g_strdup_printf ("{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                                           flow->order_id, flow->desktop_token);
  g_autoptr(Reply) reply = request_sync (h, post_message (h, "cancel", body), what);
  JsonObject *object = reply_expect (h, reply, SOUP_STATUS_OK, NULL);

  g_assert_cmpstr (reply_string (h, reply, object, "status"), ==, "cancelled");
}

/* Brings a flow the kill cut short to where the contract says it is. No kill
 * comes meanwhile, so every answer is certain. */
static void
flow_resume (Flow *flow)
{
  Harness *h = flow->h;
  gboolean lost = flow->lost;

  flow->lost = FALSE;
  if (lost)
    h->resumed++;

  switch (flow->step)
    {
    case STEP_START:
      if (lost)
        h->lost_starts++;
      break;

    case STEP_CLAIM:
      if (lost && flow->db_status == CROSSING_STATUS_CLAIMED)
        {
          /* Our claim won, but its challenge token died with the answer: the
           * QR is used up and the desktop can only cancel. */
          flow_expect_sync (flow, STEP_CLAIM, SOUP_STATUS_CONFLICT, "ALREADY_CLAIMED");
          flow_cancel_sync (flow);
          h->abandoned++;
          flow_reset (flow);
        }
      break;

    case STEP_APPROVE:
      if (lost && flow->db_status == CROSSING_STATUS_APPROVED)
        {
          flow_expect_sync (flow, STEP_APPROVE, SOUP_STATUS_BAD_REQUEST, "NOT_READY_TO_APPROVE");
          flow->step = STEP_FINALIZE;
          flow_finalize_twice (flow);
        }
      break;

    case STEP_FINALIZE:
      if (lost && flow->db_status == CROSSING_STATUS_FINALIZED)
        {
          /* Our finalize won; only its answer (the token) was lost. */
          flow_expect_sync (flow, STEP_FINALIZE, SOUP_STATUS_CONFLICT, "FINALIZE_ALREADY_USED");
          record_finalized (flow, NULL);
          h->completed++;
          flow_reset (flow);
        }
      else
        flow_finalize_twice (flow);
      break;

    case STEP_FINALIZE_AGAIN:
      flow_step_sync (flow);
      break;

    case STEP_CHALLENGE:
      /* May run again from the state it left, even when it went through. */
      flow->redoing = lost && flow->db_status == step_states[STEP_CHALLENGE].after;
      break;

    case STEP_CHECK_CODE:
      /* May run again from the state it left. */
      break;

    case N_STEPS:
    default:
      g_assert_not_reached ();
    }
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

/* Lets the flows run against the companion for a while. */
static void
run_for_ms (guint ms)
{
  ct_wait_until (never, NULL, ms);
}

static void
harness_resume (Harness *h)
{
  check_fresh (h);
  for (guint i = 0; i < N_FLOWS; i++)
    flow_resume (h->flows[i]);
}

/* At the end, every login ever finalized is refused once more and every
 * session token we were given still works. */
static void
check_all_finalized (Harness *h)
{
  GHashTableIter iter;
  gpointer key, value;

  g_ptr_array_set_size (h->fresh, 0);
  g_hash_table_iter_init (&iter, h->finalized);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (((Finalized *) value)->session_token != NULL)
      g_ptr_array_add (h->fresh, g_strdup (key));
  check_fresh (h);
}

static guint
env_uint (const char *name,
          guint       fallback)
{
  const char *value = g_getenv (name);
  guint64 parsed;

  if (value == NULL || *value == '\0')
    return fallback;
  if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, &parsed, NULL))
    g_error ("%s must be a number, not %s", name, value);
  return (guint) parsed;
}

static Harness *
harness_new (void)
{
  Harness *h = g_new0 (Harness, 1);
  g_autoptr(GError) error = NULL;

  crossing_crypto_init ();
  h->companion = g_strdup (g_getenv ("CROSSING_COMPANION"));
  if (h->companion == NULL)
    h->companion = g_test_build_filename (G_TEST_BUILT, "..", "..", "companion",
                                          "crossing-companion", NULL);
  h->seed = env_uint ("CROSSING_CRASH_SEED", g_test_rand_int ());
  h->rand = g_rand_new_with_seed (h->seed);
  h->tmp_dir = g_dir_make_tmp ("crossing-crash-test-XXXXXX", &error);
  g_assert_no_error (error);
  h->db_path = g_build_filename (h->tmp_dir, "companion.db", NULL);
  h->finalized = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) finalized_free);
  h->fresh = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < N_FLOWS; i++)
    h->flows[i] = flow_new (h);
  return h;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_assert_no_errno (g_unlink (child));
    }
  g_assert_no_errno (g_rmdir (path));
}

static void
harness_free (Harness *h)
{
  g_assert_null (h->process);
  for (guint i = 0; i < N_FLOWS; i++)
    flow_free (h->flows[i]);
  g_hash_table_unref (h->finalized);
  g_ptr_array_unref (h->fresh);
  remove_tree (h->tmp_dir);
  g_free (h->tmp_dir);
  g_free (h->db_path);
  g_free (h->companion);
  g_rand_free (h->rand);
  g_free (h);
}

static void
test_kill_anytime_loses_nothing (void)
{
  Harness *h = harness_new ();
  guint kills = env_uint ("CROSSING_CRASH_KILLS", DEFAULT_KILLS);
  gint64 began = g_get_monotonic_time ();

  g_test_message ("%u kills, CROSSING_CRASH_SEED=%u, companion %s", kills, h->seed,
                  h->companion);

  while (h->kills < kills)
    {
      companion_spawn (h);
      if (g_rand_int_range (h->rand, 0, EARLY_KILL_ONE_IN) == 0)
        {
          run_for_ms (g_rand_int_range (h->rand, 0, MAX_EARLY_KILL_MS + 1));
          companion_kill (h);
          h->early_kills++;
        }
      else
        {
          companion_wait_listening (h);
          harness_resume (h);
          for (guint i = 0; i < N_FLOWS; i++)
            flow_run (h->flows[i]);
          run_for_ms (g_rand_int_range (h->rand, 0, MAX_RUN_MS + 1));
          companion_kill (h);
        }
      db_check (h);
      if (h->kills % 100 == 0)
        g_test_message ("%u kills, %u logins completed", h->kills, h->completed);
    }

  /* One last start: everything the kills cut short is settled, then a clean stop. */
  companion_spawn (h);
  companion_wait_listening (h);
  harness_resume (h);
  check_all_finalized (h);
  companion_stop (h);
  db_check (h);

  g_test_message ("%u kills (%u before listening) survived in %.1f s: %u orders started, "
                  "%u logins completed, %u finalized in all (%u right after a restart), "
                  "%u flows resumed after a kill, %u starts and %u claims lost with the answer",
                  h->kills, h->early_kills,
                  (g_get_monotonic_time () - began) / (double) G_USEC_PER_SEC, h->started,
                  h->completed, g_hash_table_size (h->finalized), h->finalized_after_restart,
                  h->resumed, h->lost_starts, h->abandoned);
  g_assert_cmpuint (h->completed, >, 0);

  harness_free (h);
}

static void
drop_message (const char     *log_domain,
              GLogLevelFlags  log_level,
              const char     *message,
              gpointer        user_data)
{
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Thousands of connections: GIO's debug lines about each would bury the log. */
  if (g_getenv ("G_MESSAGES_DEBUG") == NULL)
    g_log_set_handler ("GLib-GIO", G_LOG_LEVEL_DEBUG, drop_message, NULL);

  g_test_add_func ("/companion/crash/sigkill-anytime-loses-and-doubles-nothing",
                   test_kill_anytime_loses_nothing);

  return g_test_run ();
}
