/* test-ledger-crash.c: random ledger mutations from 16 clients, SIGKILL at random moments
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * 16 clients send credits, debits, reserves (some that expire within a
 * second), captures, releases and replays of earlier requests with their
 * keys to a real `crossing-companion serve`, which the test kills with
 * SIGKILL after a random time and restarts on the same database, again and
 * again. After each kill (the database at rest) and at the end, through the
 * store interface:
 * - each account's entries, oldest first, sum to the balances after them,
 *   and the last of them to the stored balance; no posted balance and no
 *   available balance is negative;
 * - every mutation answered 200 is in the journal exactly once (its entry
 *   id, once), and no key ever produced two entries;
 * - a replay is answered byte for byte as the first answer to its key.
 * At the end every key whose fate a kill hid is sent once more: the answer
 * says whether it had committed, and the journal must hold exactly one
 * entry per committed key plus one release per expired hold.
 *
 * CROSSING_LEDGER_CRASH_KILLS sets how many kills (default 6, a few
 * seconds); CROSSING_LEDGER_CRASH_SEED repeats a printed seed (roughly:
 * the scheduling of two processes is not reproducible).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "crossing-token.h"

#include "companion-store.h"
#include "companion-test-utils.h"

#define DEFAULT_KILLS   6
#define N_CLIENTS       16
#define N_USERS         4
#define MIN_RUN_MS      200
#define MAX_RUN_MS      600
#define NO_LIMIT        "1000000"
/* What a run between two kills does at least, given time. */
#define MIN_ANSWERS     150

typedef struct _Harness Harness;

/* One request with its key, as first sent. */
typedef struct {
  char    *route;
  char    *body;
  char    *key;
  char    *first_answer;     /* the body of the first 200, or NULL */
  char    *entry_id;         /* its entry */
  gboolean unknown;          /* a kill took the answer of some attempt */
  guint    in_flight;        /* attempts on their way */
  gboolean refused;          /* answered with an error (consumed nothing) */
} Sent;

typedef struct {
  Harness     *h;
  guint        n;
  gboolean     in_flight;
  SoupMessage *msg;
  Sent        *sent;
  gboolean     replay;
} Client;

typedef struct {
  char   *id;
  char   *user_id;
  gint64  amount;
} Held;

struct _Harness {
  guint32      seed;
  GRand       *rand;
  char        *tmp_dir;
  char        *db_path;
  char        *admin_key;
  char        *admin_hash;
  char        *user_ids[N_USERS];
  GSubprocess *process;
  GDataInputStream *out;
  char        *url;
  SoupSession *session;
  gboolean     running;        /* clients may send */
  gboolean     killed;
  Client       clients[N_CLIENTS];
  GPtrArray   *sent;           /* Sent, every key */
  GPtrArray   *held;           /* Held: reservations answered 200 */
  GHashTable  *acked_entries;  /* entry id -> Sent */
  guint        kills;
  guint        answered;
  guint        replays;
  guint        lost;
};

static G_NORETURN void fail (Harness    *h,
                             const char *format,
                             ...) G_GNUC_PRINTF (2, 3);

static void
fail (Harness    *h,
      const char *format,
      ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  if (h->process != NULL)
    g_subprocess_force_exit (h->process);
  g_error ("After %u kills (CROSSING_LEDGER_CRASH_SEED=%u; database kept in %s): %s", h->kills,
           h->seed, h->tmp_dir, what);
}

static void
sent_free (Sent *sent)
{
  g_free (sent->route);
  g_free (sent->body);
  g_free (sent->key);
  g_free (sent->first_answer);
  g_free (sent->entry_id);
  g_free (sent);
}

static void
held_free (Held *held)
{
  g_free (held->id);
  g_free (held->user_id);
  g_free (held);
}

/* ---- the companion ------------------------------------------------------- */

static void
die_with_parent (gpointer user_data)
{
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
}

#define LISTENING "crossing-companion listening on "

static void
companion_start (Harness *h)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  h->process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("CROSSING_COMPANION"),
                                            "serve", "--listen", "127.0.0.1:0",
                                            "--db", h->db_path,
                                            "--ledger-mutations", "on",
                                            "--ledger-admin-key-sha256", h->admin_hash,
                                            "--max-failures-per-minute", NO_LIMIT,
                                            "--max-connections-per-ip", NO_LIMIT,
                                            NULL);
  g_assert_no_error (error);
  h->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (h->process));
  /* Blocking is fine here: nothing else runs until it listens. */
  line = g_data_input_stream_read_line_utf8 (h->out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (line == NULL || !g_str_has_prefix (line, LISTENING))
    fail (h, "the companion did not start: %s", line != NULL ? line : "(no output)");
  h->url = g_strconcat (line + strlen (LISTENING), "/api/auth/ledger/", NULL);
  h->session = soup_session_new_with_options ("max-conns", 64, "max-conns-per-host", 64,
                                              "proxy-resolver", direct, NULL);
  h->killed = FALSE;
}

static gboolean
no_client_in_flight (gpointer data)
{
  Harness *h = data;

  for (guint i = 0; i < N_CLIENTS; i++)
    if (h->clients[i].in_flight)
      return FALSE;
  return TRUE;
}

static void
companion_forget (Harness *h)
{
  soup_session_abort (h->session);
  if (!ct_wait_until (no_client_in_flight, h, CT_TIMEOUT_MS))
    fail (h, "requests to the stopped companion did not end");
  g_clear_object (&h->session);
  g_clear_object (&h->out);
  g_clear_object (&h->process);
  g_clear_pointer (&h->url, g_free);
}

static void
companion_kill (Harness *h)
{
  g_autoptr(GError) error = NULL;

  h->killed = TRUE;
  h->running = FALSE;
  g_subprocess_send_signal (h->process, SIGKILL);
  g_subprocess_wait (h->process, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_signaled (h->process))
    fail (h, "the companion ended by itself (wait status %d)", g_subprocess_get_status (h->process));
  h->kills++;
  companion_forget (h);
}

static void
companion_stop (Harness *h)
{
  g_autoptr(GError) error = NULL;

  h->running = FALSE;
  if (!ct_wait_until (no_client_in_flight, h, CT_TIMEOUT_MS))
    fail (h, "the clients did not finish");
  h->killed = TRUE;
  g_subprocess_send_signal (h->process, SIGTERM);
  g_subprocess_wait (h->process, NULL, &error);
  g_assert_no_error (error);
  companion_forget (h);
}

/* ---- requests ------------------------------------------------------------ */

static SoupMessage *
message_for (Harness    *h,
             const Sent *sent)
{
  g_autofree char *url = g_strconcat (h->url, sent->route, NULL);
  g_autofree char *authorization = g_strconcat ("Bearer ", h->admin_key, NULL);
  g_autoptr(GBytes) bytes = g_bytes_new (sent->body, strlen (sent->body));
  SoupMessage *msg = soup_message_new (SOUP_METHOD_POST, url);

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                authorization);
  return msg;
}

static const char *
random_user (Harness *h)
{
  return h->user_ids[g_rand_int_range (h->rand, 0, N_USERS)];
}

/* A new request with its own key. */
static Sent *
new_request (Harness *h)
{
  Sent *sent = g_new0 (Sent, 1);
  int dice = g_rand_int_range (h->rand, 0, 100);
  gint64 amount = g_rand_int_range (h->rand, 1, 50);

  sent->key = crossing_token_new (CROSSING_TOKEN_BYTES);

  if (dice < 30)
    {
      sent->route = g_strdup ("credit");
      sent->body = g_strdup_printf ("{\"userId\":\"%s\",\"asset\":\"coin\",\"amount\":%"
                                    G_GINT64_FORMAT ",\"reason\":\"in\",\"idempotencyKey\":"
                                    "\"%s\"}", random_user (h), amount * 3, sent->key);
    }
  else if (dice < 45)
    {
      sent->route = g_strdup ("debit");
      sent->body = g_strdup_printf ("{\"userId\":\"%s\",\"asset\":\"coin\",\"amount\":%"
                                    G_GINT64_FORMAT ",\"reason\":\"out\",\"idempotencyKey\":"
                                    "\"%s\"}", random_user (h), amount, sent->key);
    }
  else if (dice < 65)
    {
      /* One hold in three expires within a second. */
      sent->route = g_strdup ("reserve");
      sent->body = g_strdup_printf ("{\"userId\":\"%s\",\"asset\":\"coin\",\"amount\":%"
                                    G_GINT64_FORMAT ",\"reason\":\"hold\",\"idempotencyKey\":"
                                    "\"%s\",\"expiresInSeconds\":%d}", random_user (h), amount,
                                    sent->key, g_rand_int_range (h->rand, 0, 3) == 0 ? 1 : 600);
    }
  else if (h->held->len > 0)
    {
      guint i = (guint) g_rand_int_range (h->rand, 0, (gint32) h->held->len);
      Held *held = g_ptr_array_index (h->held, i);

      if (dice < 82)
        {
          sent->route = g_strdup ("reservations/capture");
          if (g_rand_boolean (h->rand))
            sent->body = g_strdup_printf ("{\"reservationId\":\"%s\",\"idempotencyKey\":\"%s\"}",
                                          held->id, sent->key);
          else
            sent->body = g_strdup_printf ("{\"reservationId\":\"%s\",\"amount\":%" G_GINT64_FORMAT
                                          ",\"idempotencyKey\":\"%s\"}", held->id,
                                          (gint64) g_rand_int_range (h->rand, 1,
                                                                     (gint32) held->amount + 1),
                                          sent->key);
        }
      else
        {
          sent->route = g_strdup ("reservations/release");
          sent->body = g_strdup_printf ("{\"reservationId\":\"%s\",\"idempotencyKey\":\"%s\"}",
                                        held->id, sent->key);
        }
      /* Whatever happens to it, leave it to the others less often. */
      if (g_rand_boolean (h->rand))
        g_ptr_array_remove_index_fast (h->held, i);
    }
  else
    {
      sent->route = g_strdup ("credit");
      sent->body = g_strdup_printf ("{\"userId\":\"%s\",\"asset\":\"coin\",\"amount\":%"
                                    G_GINT64_FORMAT ",\"reason\":\"in\",\"idempotencyKey\":"
                                    "\"%s\"}", random_user (h), amount, sent->key);
    }
  g_ptr_array_add (h->sent, sent);
  return sent;
}

static void client_next (Client *client);

/* What an answer to @sent says; @final: the last replay after the run. */
static void
record_answer (Harness    *h,
               Sent       *sent,
               guint       status,
               const char *hit,
               const char *body,
               gboolean    replay)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;

  h->answered++;
  if (status != 200)
    {
      if (status == 422)
        fail (h, "%s %s: a replay of the same request conflicts: %s", sent->route, sent->key, body);
      if (status >= 500 || status == 401 || status == 403)
        fail (h, "%s: %u %s", sent->route, status, body);
      /* A refusal consumed nothing: only a key never committed is refused. */
      if (sent->first_answer != NULL)
        fail (h, "%s %s: refused (%u %s) after it was answered 200", sent->route, sent->key,
              status, body);
      sent->refused = TRUE;
      return;
    }

  if (sent->first_answer != NULL)
    {
      if (strcmp (sent->first_answer, body) != 0)
        fail (h, "%s %s: a replay answered differently:\n%s\n%s", sent->route, sent->key,
              sent->first_answer, body);
      if (g_strcmp0 (hit, "true") != 0)
        fail (h, "%s %s: a second 200 without Idempotency-Hit", sent->route, sent->key);
      return;
    }
  if (g_strcmp0 (hit, "true") == 0 && !sent->unknown)
    fail (h, "%s %s: Idempotency-Hit on a key that never committed", sent->route, sent->key);

  if (!json_parser_load_from_data (parser, body, -1, NULL))
    fail (h, "%s: not JSON: %s", sent->route, body);
  object = json_node_get_object (json_parser_get_root (parser));
  sent->first_answer = g_strdup (body);
  sent->entry_id = g_strdup (json_object_get_string_member (json_object_get_object_member (object,
                                                                                           "entry"),
                                                            "id"));
  if (g_hash_table_contains (h->acked_entries, sent->entry_id))
    fail (h, "two keys answered with one entry %s", sent->entry_id);
  g_hash_table_insert (h->acked_entries, sent->entry_id, sent);

  if (strcmp (sent->route, "reserve") == 0)
    {
      JsonObject *reservation = json_object_get_object_member (object, "reservation");
      Held *held = g_new0 (Held, 1);

      held->id = g_strdup (json_object_get_string_member (reservation, "id"));
      held->user_id = g_strdup (json_object_get_string_member (reservation, "userId"));
      held->amount = json_object_get_int_member (reservation, "amount");
      g_ptr_array_add (h->held, held);
    }
  (void) replay;
}

static void
on_answer (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Client *client = user_data;
  Harness *h = client->h;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                               &error);
  g_autoptr(SoupMessage) msg = g_steal_pointer (&client->msg);

  client->in_flight = FALSE;
  client->sent->in_flight--;
  if (bytes == NULL)
    {
      if (!h->killed)
        fail (h, "%s: no answer from the running companion: %s", client->sent->route,
              error->message);
      client->sent->unknown = TRUE;
      h->lost++;
    }
  else
    {
      g_autofree char *body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

      record_answer (h, client->sent, soup_message_get_status (msg),
                     soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                   "Idempotency-Hit"), body, client->replay);
    }
  client->sent = NULL;
  if (h->running)
    client_next (client);
}

static void
client_send (Client *client,
             Sent   *sent,
             gboolean replay)
{
  Harness *h = client->h;

  client->sent = sent;
  client->replay = replay;
  client->msg = message_for (h, sent);
  client->in_flight = TRUE;
  sent->in_flight++;
  if (replay)
    h->replays++;
  soup_session_send_and_read_async (h->session, client->msg, G_PRIORITY_DEFAULT, NULL, on_answer,
                                    client);
}

static void
client_next (Client *client)
{
  Harness *h = client->h;

  Sent *earlier = NULL;

  /* One request in six replays an earlier one, key and body, once its
   * first attempt has its answer (or lost it): which of two attempts at
   * once commits is not ours to know. */
  if (h->sent->len > 0 && g_rand_int_range (h->rand, 0, 6) == 0)
    earlier = g_ptr_array_index (h->sent, g_rand_int_range (h->rand, 0, (gint32) h->sent->len));
  if (earlier != NULL && earlier->in_flight == 0)
    client_send (client, earlier, TRUE);
  else
    client_send (client, new_request (h), FALSE);
}

/* ---- the database at rest ------------------------------------------------ */

/* Every account's journal against its balance; returns how many entries
 * there are, and counts the expiry releases. */
static guint
check_database (Harness *h,
                guint   *out_expired)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CompanionStore) store = companion_store_open (h->db_path, &error);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) companion_ledger_entry_free);
  gint64 now = crossing_now_ms ();
  GHashTableIter iter;
  gpointer key;
  guint expired = 0;

  if (store == NULL)
    fail (h, "cannot open the killed database: %s", error->message);

  for (guint u = 0; u < N_USERS; u++)
    {
      g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) companion_ledger_entry_free);
      CompanionLedgerBalance balance;
      gint64 before = 0, posted = 0, reserved = 0;

      /* Newest first, page by page. */
      for (;;)
        {
          g_autoptr(GPtrArray) page = companion_store_ledger_list_entries (store, h->user_ids[u],
                                                                           "coin", before, 100,
                                                                           &error);
          guint n;

          g_assert_no_error (error);
          n = page->len;
          if (n == 0)
            break;
          before = ((CompanionLedgerEntry *) g_ptr_array_index (page, n - 1))->seq;
          g_ptr_array_extend_and_steal (entries, g_steal_pointer (&page));
          if (n < 100)
            break;
        }

      for (guint i = entries->len; i > 0; i--)
        {
          CompanionLedgerEntry *e = g_ptr_array_index (entries, i - 1);

          posted += e->posted_delta;
          reserved += e->reserved_delta;
          if (e->posted != posted || e->reserved != reserved)
            fail (h, "entry %s says posted %" G_GINT64_FORMAT " reserved %" G_GINT64_FORMAT
                  ", its journal sums to %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT, e->id,
                  e->posted, e->reserved, posted, reserved);
          if (posted < 0 || reserved < 0)
            fail (h, "entry %s leaves a negative balance", e->id);
          if (!g_hash_table_add (seen, e->id))
            fail (h, "entry %s twice in the journal", e->id);
          if (g_str_equal (e->reason, "expired"))
            expired++;
        }

      g_assert_true (companion_store_ledger_get_balance (store, h->user_ids[u], "coin", now,
                                                         &balance, &error));
      g_assert_no_error (error);
      if (balance.posted != posted)
        fail (h, "user %u: balance posted %" G_GINT64_FORMAT ", the journal sums to %"
              G_GINT64_FORMAT, u, balance.posted, posted);
      if (balance.reserved > reserved || balance.posted - balance.reserved < 0)
        fail (h, "user %u: reserved %" G_GINT64_FORMAT " (journal %" G_GINT64_FORMAT
              "), available below zero or holds unaccounted", u, balance.reserved, reserved);
      g_ptr_array_extend_and_steal (all, g_steal_pointer (&entries));
    }

  /* Every mutation answered 200 is there. */
  g_hash_table_iter_init (&iter, h->acked_entries);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (seen, key))
      fail (h, "the entry %s answered 200 is not in the journal", (const char *) key);

  if (out_expired != NULL)
    *out_expired = expired;
  return all->len;
}

/* ---- the run ------------------------------------------------------------- */

static gboolean
time_passed (gpointer data)
{
  return g_get_monotonic_time () >= *(gint64 *) data;
}

typedef struct {
  Harness *h;
  gint64   until;
  guint    answered_by;
} Run;

static gboolean
run_done (gpointer data)
{
  Run *run = data;

  return g_get_monotonic_time () >= run->until && run->h->answered >= run->answered_by;
}

/* Lets the clients run for @ms, and on a slow build (sanitizers, a busy
 * machine) until MIN_ANSWERS more answers came, for at most 10 s more. */
static void
run_for (Harness *h,
         guint    ms)
{
  Run run = { h, g_get_monotonic_time () + (gint64) ms * 1000, h->answered + MIN_ANSWERS };

  h->running = TRUE;
  for (guint i = 0; i < N_CLIENTS; i++)
    if (!h->clients[i].in_flight)
      client_next (&h->clients[i]);
  ct_wait_until (run_done, &run, ms + 10000);
}

static gboolean
sync_done (gpointer data)
{
  return !((Client *) data)->in_flight;
}

/* Sends every key a kill left in doubt once more, one at a time: its
 * answer says whether it had committed. Returns how many keys committed. */
static guint
settle_unknown (Harness *h)
{
  Client *client = &h->clients[0];
  guint committed = 0;

  for (guint i = 0; i < h->sent->len; i++)
    {
      Sent *sent = g_ptr_array_index (h->sent, i);

      if (sent->unknown && sent->first_answer == NULL)
        {
          client_send (client, sent, TRUE);
          if (!ct_wait_until (sync_done, client, CT_TIMEOUT_MS))
            fail (h, "no answer to the last replay of %s", sent->key);
        }
      if (sent->first_answer != NULL)
        committed++;
    }
  return committed;
}

static void
test_ledger_crash (void)
{
  Harness harness = { 0, };
  Harness *h = &harness;
  const char *kills_env = g_getenv ("CROSSING_LEDGER_CRASH_KILLS");
  const char *seed_env = g_getenv ("CROSSING_LEDGER_CRASH_SEED");
  guint kills = kills_env != NULL ? (guint) g_ascii_strtoull (kills_env, NULL, 10) : DEFAULT_KILLS;
  g_autoptr(GError) error = NULL;
  g_autofree char *random = NULL;
  guint entries, expired, committed;

  crossing_crypto_init ();
  h->seed = seed_env != NULL ? (guint32) g_ascii_strtoull (seed_env, NULL, 10)
                             : g_random_int ();
  g_test_message ("CROSSING_LEDGER_CRASH_SEED=%u", h->seed);
  h->rand = g_rand_new_with_seed (h->seed);
  h->tmp_dir = g_dir_make_tmp ("crossing-ledger-crash-XXXXXX", &error);
  g_assert_no_error (error);
  h->db_path = g_build_filename (h->tmp_dir, "companion.db", NULL);
  random = crossing_token_new (CROSSING_SESSION_TOKEN_BYTES);
  h->admin_key = g_strconcat ("crossing_admin_", random, NULL);
  h->admin_hash = crossing_sha256_hex (h->admin_key, strlen (h->admin_key));
  h->sent = g_ptr_array_new_with_free_func ((GDestroyNotify) sent_free);
  h->held = g_ptr_array_new_with_free_func ((GDestroyNotify) held_free);
  h->acked_entries = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      h->clients[i].h = h;
      h->clients[i].n = i;
    }

  {
    g_autoptr(CompanionStore) store = companion_store_open (h->db_path, &error);

    g_assert_no_error (error);
    for (guint u = 0; u < N_USERS; u++)
      {
        g_autofree char *subject = NULL;
        CompanionUser user = { .role = COMPANION_ROLE_USER, .created_at = crossing_now_ms () };

        h->user_ids[u] = crossing_token_new (CROSSING_ORDER_ID_BYTES);
        subject = g_strconcat ("ed25519:", h->user_ids[u], NULL);
        user.id = h->user_ids[u];
        user.subject = subject;
        g_assert_true (companion_store_add_user (store, &user, &error));
        g_assert_no_error (error);
      }
  }

  for (guint k = 0; k < kills; k++)
    {
      companion_start (h);
      run_for (h, (guint) g_rand_int_range (h->rand, MIN_RUN_MS, MAX_RUN_MS));
      companion_kill (h);
      check_database (h, NULL);
    }

  /* The last run: every doubt settled, every short hold expired. */
  companion_start (h);
  run_for (h, MIN_RUN_MS);
  h->running = FALSE;
  if (!ct_wait_until (no_client_in_flight, h, CT_TIMEOUT_MS))
    fail (h, "the clients did not finish");
  committed = settle_unknown (h);
  {
    gint64 until = g_get_monotonic_time () + 1500 * 1000;

    /* Holds of one second: their release is written by the timer. */
    ct_wait_until (time_passed, &until, 3000);
  }
  companion_stop (h);

  entries = check_database (h, &expired);
  g_test_message ("%u kills, %u requests (%u replays), %u answers, %u lost with a kill; "
                  "%u keys committed, %u expiry releases, %u entries", h->kills, h->sent->len,
                  h->replays, h->answered, h->lost, committed, expired, entries);
  if (entries != committed + expired)
    fail (h, "%u entries for %u committed keys and %u expiries", entries, committed, expired);
  {
    g_autoptr(CompanionStore) store = companion_store_open (h->db_path, &error);
    g_autoptr(GPtrArray) due = companion_store_ledger_list_due_holds (store, crossing_now_ms (),
                                                                      10, &error);

    g_assert_no_error (error);
    if (due->len != 0)
      fail (h, "%u holds past their expiry were never released", due->len);
  }
  /* Not a speed test: only that the runs did something worth checking. */
  g_assert_cmpuint (h->answered, >=, MIN_ANSWERS * (kills + 1) / 2);

  for (guint u = 0; u < N_USERS; u++)
    g_free (h->user_ids[u]);
  g_ptr_array_unref (h->sent);
  g_ptr_array_unref (h->held);
  g_hash_table_unref (h->acked_entries);
  g_rand_free (h->rand);
  g_free (h->admin_key);
  g_free (h->admin_hash);
  {
    g_autoptr(GDir) dir = g_dir_open (h->tmp_dir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (h->tmp_dir, name, NULL);

        g_remove (child);
      }
    g_rmdir (h->tmp_dir);
  }
  g_free (h->tmp_dir);
  g_free (h->db_path);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ledger/crash/sigkill-anytime-sums-hold-nothing-lost-or-doubled",
                   test_ledger_crash);
  return g_test_run ();
}
