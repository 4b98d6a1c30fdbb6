/* test-store-conformance.c: what every CompanionStore backend must do
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs on the store CROSSING_STORE_URI names (the PostgreSQL backend runs
 * this same file), by default a new SQLite file per test. On a shared
 * database every test uses fresh ids and counts only what it added.
 */
#define G_LOG_DOMAIN "store-conformance"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "crossing-token.h"

#include "companion-order.h"
#include "companion-store.h"

#define N_RACERS 8

typedef struct {
  char           *tmp_dir;   /* NULL with CROSSING_STORE_URI */
  char           *uri;
  CompanionStore *store;
} Fixture;

typedef struct {
  guint           n;
  char           *order_id;
  gint64          seq;
  CrossingStatus  status;
  char           *data;
} Committed;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char *uri = g_getenv ("CROSSING_STORE_URI");

  crossing_crypto_init ();
  if (uri != NULL && *uri != '\0')
    {
      f->uri = g_strdup (uri);
    }
  else
    {
      g_autofree char *path = NULL;

      f->tmp_dir = g_dir_make_tmp ("crossing-store-test-XXXXXX", &error);
      g_assert_no_error (error);
      path = g_build_filename (f->tmp_dir, "store.db", NULL);
      f->uri = g_strconcat ("sqlite:", path, NULL);
    }

  f->store = companion_store_open (f->uri, &error);
  g_assert_no_error (error);
  g_assert_true (COMPANION_IS_STORE (f->store));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (g_steal_pointer (&f->store));

  if (f->tmp_dir != NULL)
    {
      g_autoptr(GDir) dir = g_dir_open (f->tmp_dir, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (f->tmp_dir, name, NULL);

          g_assert_no_errno (g_unlink (child));
        }
      g_assert_no_errno (g_rmdir (f->tmp_dir));
    }
  g_clear_pointer (&f->tmp_dir, g_free);
  g_clear_pointer (&f->uri, g_free);
}

static char *
new_id (void)
{
  return crossing_token_new (CROSSING_ORDER_ID_BYTES);
}

/* An order with every required field, in @status, expiring at @expires_at. */
static CompanionOrder *
make_order (CrossingStatus status,
            gint64         expires_at)
{
  CompanionOrder *order = companion_order_new ();

  order->id = new_id ();
  order->kind = CROSSING_KIND_LOGIN;
  order->adapter = CROSSING_ADAPTER_ED25519;
  order->status = status;
  order->claim_token_hash = crossing_token_hash ("claim");
  order->desktop_token_hash = crossing_token_hash ("desktop");
  order->event_token_hash = crossing_token_hash ("event");
  order->origin = g_strdup ("https://login.example.org");
  order->title = g_strdup ("Sign in");
  order->summary = g_strdup ("Sign in to Example");
  order->app_name = g_strdup ("Example");
  order->challenge_id = new_id ();
  order->nonce = new_id ();
  order->message = g_strdup ("Example requests a login\nline two");
  order->requester_ip = g_strdup ("192.0.2.7");
  order->requester_user_agent = g_strdup ("conformance/1");
  order->created_at = expires_at - 120000;
  order->issued_at = expires_at - 120000;
  order->expires_at = expires_at;
  return order;
}

static CompanionOrder *
insert_order (Fixture        *f,
              CrossingStatus  status,
              gint64          expires_at)
{
  g_autoptr(GError) error = NULL;
  CompanionOrder *order = make_order (status, expires_at);

  g_assert_true (companion_store_insert_order (f->store, order, &error));
  g_assert_no_error (error);
  return order;
}

static guint
n_events (Fixture    *f,
          const char *order_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = companion_store_list_events (f->store, order_id, 0, &error);

  g_assert_no_error (error);
  return events->len;
}

static CrossingStatus
status_of (Fixture    *f,
           const char *order_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CompanionOrder) order = companion_store_get_order (f->store, order_id, &error);

  g_assert_no_error (error);
  return order->status;
}

static void
on_committed (CompanionStore *store,
              const char     *order_id,
              gint64          seq,
              int             status,
              const char     *data,
              gpointer        user_data)
{
  Committed *c = user_data;

  c->n++;
  g_free (c->order_id);
  c->order_id = g_strdup (order_id);
  c->seq = seq;
  c->status = status;
  g_free (c->data);
  c->data = g_strdup (data);
}

static void
committed_clear (Committed *c)
{
  g_clear_pointer (&c->order_id, g_free);
  g_clear_pointer (&c->data, g_free);
  c->n = 0;
}

/* ---- orders -------------------------------------------------------------- */

static void
test_insert_get (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(CompanionOrder) order = insert_order (f, CROSSING_STATUS_CREATED, 1800000000000);
  g_autoptr(CompanionOrder) again = NULL;
  g_autoptr(CompanionOrder) missing = NULL;
  g_autoptr(GError) error = NULL;

  again = companion_store_get_order (f->store, order->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->id, ==, order->id);
  g_assert_cmpint (again->kind, ==, order->kind);
  g_assert_cmpint (again->adapter, ==, order->adapter);
  g_assert_cmpint (again->status, ==, CROSSING_STATUS_CREATED);
  g_assert_cmpstr (again->claim_token_hash, ==, order->claim_token_hash);
  g_assert_cmpstr (again->desktop_token_hash, ==, order->desktop_token_hash);
  g_assert_cmpstr (again->event_token_hash, ==, order->event_token_hash);
  g_assert_null (again->challenge_token_hash);
  g_assert_cmpstr (again->origin, ==, order->origin);
  g_assert_null (again->return_to);
  g_assert_cmpstr (again->message, ==, order->message);
  g_assert_cmpstr (again->requester_ip, ==, "192.0.2.7");
  g_assert_cmpstr (again->requester_user_agent, ==, "conformance/1");
  g_assert_cmpint (again->expires_at, ==, order->expires_at);
  g_assert_cmpint (again->issued_at, ==, order->issued_at);
  g_assert_cmpint (again->event_seq, ==, 0);

  /* The id is unique. */
  g_assert_false (companion_store_insert_order (f->store, order, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&error);

  missing = companion_store_get_order (f->store, "no-such-order", &error);
  g_assert_null (missing);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
}

static void
test_get_order_by_challenge_hash (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(CompanionOrder) order = make_order (CROSSING_STATUS_CREATED, 1800000000000);
  g_autoptr(CompanionOrder) plain = insert_order (f, CROSSING_STATUS_CREATED, 1800000000000);
  g_autoptr(CompanionOrder) twin = make_order (CROSSING_STATUS_CREATED, 1800000000000);
  g_autoptr(CompanionOrder) found = NULL;
  g_autoptr(CompanionOrder) missing = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *challenge = new_id ();

  order->challenge_id_hash = crossing_token_hash (challenge);
  g_assert_true (companion_store_insert_order (f->store, order, &error));
  g_assert_no_error (error);

  found = companion_store_get_order_by_challenge_hash (f->store, order->challenge_id_hash,
                                                       &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->id, ==, order->id);
  g_assert_cmpstr (found->challenge_id_hash, ==, order->challenge_id_hash);
  g_assert_cmpstr (found->challenge_id, ==, order->challenge_id);
  g_assert_cmpint (found->status, ==, CROSSING_STATUS_CREATED);

  /* An order without one is not found by any hash, nor by its challenge id. */
  {
    g_autoptr(CompanionOrder) again = companion_store_get_order (f->store, plain->id, &error);

    g_assert_no_error (error);
    g_assert_null (again->challenge_id_hash);
  }
  missing = companion_store_get_order_by_challenge_hash (f->store, plain->challenge_id, &error);
  g_assert_null (missing);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  missing = companion_store_get_order_by_challenge_hash (f->store, "no-such-hash", &error);
  g_assert_null (missing);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The hash is unique. */
  twin->challenge_id_hash = g_strdup (order->challenge_id_hash);
  g_assert_false (companion_store_insert_order (f->store, twin, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
}

/* Every action from every state: the compare-and-set applies exactly from
 * the states the action allows. */
static void
test_transition_from_mask (Fixture       *f,
                           gconstpointer  data)
{
  for (int action = 0; action < COMPANION_N_ACTIONS; action++)
    for (int from = 0; from < CROSSING_N_STATUSES; from++)
      {
        g_autoptr(CompanionOrder) order = insert_order (f, from, 1800000000000);
        g_autoptr(GError) error = NULL;
        guint mask = companion_action_allowed_from (action);
        CompanionOrderChange change = { .to = companion_action_target (action) };
        gboolean allowed = (mask & COMPANION_STATUS_BIT (from)) != 0;
        gint64 seq = -1;
        gboolean ok;

        ok = companion_store_transition (f->store, order->id, mask, &change, "{\"e\":1}", &seq,
                                         &error);
        g_assert_cmpint (ok, ==, allowed);
        if (allowed)
          {
            g_assert_no_error (error);
            g_assert_cmpint (seq, ==, 1);
            g_assert_cmpint (status_of (f, order->id), ==, change.to);
            g_assert_cmpuint (n_events (f, order->id), ==, 1);
          }
        else
          {
            g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
            g_assert_cmpint (status_of (f, order->id), ==, from);
            g_assert_cmpuint (n_events (f, order->id), ==, 0);
          }
      }
}

static void
test_transition_fields (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(CompanionOrder) order = insert_order (f, CROSSING_STATUS_WAITING_USER, 1800000000000);
  g_autoptr(CompanionOrder) after = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *challenge_hash = crossing_token_hash ("challenge");
  CompanionOrderChange claim = {
    .to = CROSSING_STATUS_WAITING_USER,
    .challenge_token_hash = challenge_hash,
    .check_code = "42",
  };
  CompanionOrderChange approve = {
    .to = CROSSING_STATUS_APPROVED,
    .subject = "ed25519:00",
    .public_key_hex = "00",
    .signature_hex = "11",
    .approved_at = 1799999990000,
    .expires_at = 1800000060000,
  };
  gint64 seq = 0;

  g_assert_true (companion_store_transition (f->store, order->id,
                                             COMPANION_STATUS_BIT (CROSSING_STATUS_WAITING_USER),
                                             &claim, "{}", &seq, &error));
  g_assert_no_error (error);
  g_assert_true (companion_store_transition (f->store, order->id,
                                             COMPANION_STATUS_BIT (CROSSING_STATUS_WAITING_USER),
                                             &approve, "{}", &seq, &error));
  g_assert_no_error (error);
  g_assert_cmpint (seq, ==, 2);

  after = companion_store_get_order (f->store, order->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (after->status, ==, CROSSING_STATUS_APPROVED);
  /* Written by the first, kept by the second (NULL there). */
  g_assert_cmpstr (after->challenge_token_hash, ==, challenge_hash);
  g_assert_cmpstr (after->check_code, ==, "42");
  g_assert_cmpstr (after->subject, ==, "ed25519:00");
  g_assert_cmpstr (after->public_key_hex, ==, "00");
  g_assert_cmpstr (after->signature_hex, ==, "11");
  g_assert_cmpint (after->approved_at, ==, 1799999990000);
  g_assert_cmpint (after->expires_at, ==, 1800000060000);
  g_assert_cmpint (after->finalized_at, ==, 0);
  g_assert_cmpint (after->event_seq, ==, 2);
}

static void
test_transition_only_if_expires_by (Fixture       *f,
                                    gconstpointer  data)
{
  g_autoptr(CompanionOrder) order = insert_order (f, CROSSING_STATUS_CREATED, 5000);
  g_autoptr(GError) error = NULL;
  CompanionOrderChange change = { .to = CROSSING_STATUS_EXPIRED, .only_if_expires_by = 4999 };
  guint mask = companion_action_allowed_from (COMPANION_ACTION_EXPIRE);

  /* Extended meanwhile: the expiry must not apply. */
  g_assert_false (companion_store_transition (f->store, order->id, mask, &change, "{}", NULL,
                                              &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_cmpint (status_of (f, order->id), ==, CROSSING_STATUS_CREATED);

  change.only_if_expires_by = 5000;
  g_assert_true (companion_store_transition (f->store, order->id, mask, &change, "{}", NULL,
                                             &error));
  g_assert_no_error (error);
  g_assert_cmpint (status_of (f, order->id), ==, CROSSING_STATUS_EXPIRED);
}

static void
test_transition_unknown_order (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  CompanionOrderChange change = { .to = CROSSING_STATUS_CANCELLED };

  g_assert_false (companion_store_transition (f->store, "no-such-order", 0xff, &change, "{}",
                                              NULL, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
}

static void
test_check_code_failures (Fixture       *f,
                          gconstpointer  data)
{
  for (int from = 0; from < CROSSING_N_STATUSES; from++)
    {
      g_autoptr(CompanionOrder) order = insert_order (f, from, 1800000000000);
      gboolean counts = from == CROSSING_STATUS_CLAIMED || from == CROSSING_STATUS_WAITING_USER;

      for (guint i = 1; i <= 3; i++)
        {
          g_autoptr(GError) error = NULL;
          guint failures = 0;
          gboolean ok;

          ok = companion_store_add_check_code_failure (f->store, order->id, &failures, &error);
          g_assert_cmpint (ok, ==, counts);
          if (counts)
            {
              g_assert_no_error (error);
              g_assert_cmpuint (failures, ==, i);
            }
          else
            g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
        }
      /* Counting changes no state and appends no event. */
      g_assert_cmpint (status_of (f, order->id), ==, from);
      g_assert_cmpuint (n_events (f, order->id), ==, 0);
    }
}

/* ---- login finalize ------------------------------------------------------ */

typedef struct {
  char                   *subject;
  char                   *user_id;
  char                   *session_id;
  char                   *token_hash;
  CompanionLoginFinalize  login;
} Login;

static Login *
login_new (const char *subject,
           gboolean    create_user,
           gint64      now)
{
  Login *l = g_new0 (Login, 1);
  g_autofree char *token = crossing_token_new (CROSSING_SESSION_TOKEN_BYTES);
  g_autofree char *key = new_id ();

  l->subject = subject != NULL ? g_strdup (subject) : g_strconcat ("ed25519:", key, NULL);
  l->user_id = new_id ();
  l->session_id = new_id ();
  l->token_hash = crossing_token_hash (token);
  l->login.subject = l->subject;
  l->login.create_user = create_user;
  l->login.new_user_id = l->user_id;
  l->login.session_id = l->session_id;
  l->login.session_token_hash = l->token_hash;
  l->login.ip_address = "198.51.100.4";
  l->login.user_agent = "Desktop/2";
  l->login.session_expires_at = now + 3600000;
  l->login.now = now;
  return l;
}

static void
login_free (Login *l)
{
  g_free (l->subject);
  g_free (l->user_id);
  g_free (l->session_id);
  g_free (l->token_hash);
  g_free (l);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Login, login_free)

static void
test_finalize_login_creates (Fixture       *f,
                             gconstpointer  data)
{
  gint64 now = crossing_now_ms ();
  g_autoptr(CompanionOrder) order = insert_order (f, CROSSING_STATUS_APPROVED, now + 60000);
  g_autoptr(Login) l = login_new (NULL, TRUE, now);
  g_autoptr(CompanionUser) user = NULL;
  g_autoptr(CompanionUser) found = NULL;
  g_autoptr(CompanionSession) session = NULL;
  g_autoptr(CompanionOrder) after = NULL;
  g_autoptr(GError) error = NULL;
  gint64 seq = 0;

  g_assert_true (companion_store_finalize_login (f->store, order->id, &l->login, "{\"f\":1}",
                                                 &user, &seq, &error));
  g_assert_no_error (error);
  g_assert_cmpint (seq, ==, 1);
  g_assert_cmpstr (user->id, ==, l->user_id);
  g_assert_cmpstr (user->subject, ==, l->subject);
  g_assert_null (user->name);
  g_assert_cmpint (user->role, ==, COMPANION_ROLE_USER);
  g_assert_cmpint (user->created_at, ==, now);

  after = companion_store_get_order (f->store, order->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (after->status, ==, CROSSING_STATUS_FINALIZED);
  g_assert_cmpint (after->finalized_at, ==, now);
  g_assert_cmpstr (after->session_id, ==, l->session_id);

  g_assert_true (companion_store_lookup_session (f->store, l->token_hash, now, &session, &found,
                                                 &error));
  g_assert_no_error (error);
  g_assert_cmpstr (session->id, ==, l->session_id);
  g_assert_cmpstr (session->user_id, ==, l->user_id);
  g_assert_cmpstr (session->order_id, ==, order->id);
  g_assert_cmpstr (session->ip_address, ==, "198.51.100.4");
  g_assert_cmpstr (session->user_agent, ==, "Desktop/2");
  g_assert_cmpint (session->created_at, ==, now);
  g_assert_cmpint (session->updated_at, ==, now);
  g_assert_cmpint (session->expires_at, ==, now + 3600000);
  g_assert_cmpstr (found->id, ==, l->user_id);
  g_assert_cmpint (found->updated_at, ==, now);

  /* Once: the second finalize lost, and made nothing. */
  {
    g_autoptr(Login) again = login_new (NULL, TRUE, now);

    g_assert_false (companion_store_finalize_login (f->store, order->id, &again->login, "{}",
                                                    NULL, NULL, &error));
    g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
    g_clear_error (&error);
    g_assert_null (companion_store_get_user_by_subject (f->store, again->subject, &error));
    g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
    g_assert_false (companion_store_lookup_session (f->store, again->token_hash, now, NULL, NULL,
                                                    &error));
    g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  }
}

static void
test_finalize_login_existing_user (Fixture       *f,
                                   gconstpointer  data)
{
  gint64 now = crossing_now_ms ();
  g_autoptr(CompanionOrder) order = insert_order (f, CROSSING_STATUS_APPROVED, now + 60000);
  g_autoptr(Login) l = login_new (NULL, FALSE, now);
  g_autofree char *id = new_id ();
  g_autoptr(CompanionUser) user = NULL;
  g_autoptr(GError) error = NULL;
  CompanionUser existing = {
    .id = id,
    .subject = l->subject,
    .name = (char *) "Grace",
    .role = COMPANION_ROLE_ADMIN,
    .created_at = now - 1000,
  };

  g_assert_true (companion_store_add_user (f->store, &existing, &error));
  g_assert_no_error (error);
  g_assert_true (companion_store_finalize_login (f->store, order->id, &l->login, "{}", &user,
                                                 NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (user->id, ==, id);
  g_assert_cmpstr (user->name, ==, "Grace");
  g_assert_cmpint (user->role, ==, COMPANION_ROLE_ADMIN);
}

/* Registration closed and no such user: nothing at all changes. */
static void
test_finalize_login_closed_all_or_nothing (Fixture       *f,
                                           gconstpointer  data)
{
  gint64 now = crossing_now_ms ();
  g_autoptr(CompanionOrder) order = insert_order (f, CROSSING_STATUS_APPROVED, now + 60000);
  g_autoptr(Login) l = login_new (NULL, FALSE, now);
  g_autoptr(CompanionOrder) after = NULL;
  g_autoptr(GError) error = NULL;
  Committed committed = { 0, };
  gulong id;

  id = g_signal_connect (f->store, "event-committed", G_CALLBACK (on_committed), &committed);
  g_assert_false (companion_store_finalize_login (f->store, order->id, &l->login, "{}", NULL,
                                                  NULL, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_signal_handler_disconnect (f->store, id);
  g_assert_cmpuint (committed.n, ==, 0);

  after = companion_store_get_order (f->store, order->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (after->status, ==, CROSSING_STATUS_APPROVED);
  g_assert_null (after->session_id);
  g_assert_cmpint (after->event_seq, ==, 0);
  g_assert_cmpuint (n_events (f, order->id), ==, 0);
  g_assert_false (companion_store_lookup_session (f->store, l->token_hash, now, NULL, NULL,
                                                  &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
}

static void
test_finalize_login_not_approved (Fixture       *f,
                                  gconstpointer  data)
{
  gint64 now = crossing_now_ms ();

  for (int from = 0; from < CROSSING_N_STATUSES; from++)
    {
      g_autoptr(CompanionOrder) order = insert_order (f, from, now + 60000);
      g_autoptr(Login) l = login_new (NULL, TRUE, now);
      g_autoptr(GError) error = NULL;

      if (from == CROSSING_STATUS_APPROVED)
        continue;
      g_assert_false (companion_store_finalize_login (f->store, order->id, &l->login, "{}", NULL,
                                                      NULL, &error));
      g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
      g_clear_error (&error);
      /* The order first: a lost race creates no user. */
      g_assert_null (companion_store_get_user_by_subject (f->store, l->subject, &error));
      g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
    }
}

/* A sign-in without an order (Nimiq direct): only the user and the session. */
static void
test_finalize_login_without_order (Fixture       *f,
                                   gconstpointer  data)
{
  gint64 now = crossing_now_ms ();
  g_autoptr(Login) l = login_new (NULL, TRUE, now);
  g_autoptr(Login) again = NULL;
  g_autoptr(CompanionUser) user = NULL;
  g_autoptr(CompanionUser) second = NULL;
  g_autoptr(CompanionUser) found = NULL;
  g_autoptr(CompanionSession) session = NULL;
  g_autoptr(GError) error = NULL;
  Committed committed = { 0, };
  gint64 seq = -1;
  gulong id;

  id = g_signal_connect (f->store, "event-committed", G_CALLBACK (on_committed), &committed);
  g_assert_true (companion_store_finalize_login (f->store, NULL, &l->login, NULL, &user, &seq,
                                                 &error));
  g_assert_no_error (error);
  g_assert_cmpstr (user->id, ==, l->user_id);
  g_assert_cmpstr (user->subject, ==, l->subject);
  g_assert_cmpint (user->role, ==, COMPANION_ROLE_USER);
  g_assert_cmpint (user->created_at, ==, now);
  /* No order, no event. */
  g_assert_cmpint (seq, ==, 0);

  g_assert_true (companion_store_lookup_session (f->store, l->token_hash, now, &session, &found,
                                                 &error));
  g_assert_no_error (error);
  g_assert_cmpstr (session->id, ==, l->session_id);
  g_assert_cmpstr (session->user_id, ==, l->user_id);
  g_assert_null (session->order_id);
  g_assert_cmpstr (session->ip_address, ==, "198.51.100.4");
  g_assert_cmpstr (session->user_agent, ==, "Desktop/2");
  g_assert_cmpint (session->expires_at, ==, now + 3600000);
  g_assert_cmpstr (found->id, ==, l->user_id);

  /* The next sign-in of the same subject finds that user, even with
   * registration closed. */
  again = login_new (l->subject, FALSE, now);
  g_assert_true (companion_store_finalize_login (f->store, NULL, &again->login, NULL, &second,
                                                 NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (second->id, ==, l->user_id);
  g_assert_true (companion_store_lookup_session (f->store, again->token_hash, now, NULL, NULL,
                                                 &error));
  g_assert_no_error (error);

  g_signal_handler_disconnect (f->store, id);
  g_assert_cmpuint (committed.n, ==, 0);
}

static void
test_finalize_login_without_order_closed (Fixture       *f,
                                          gconstpointer  data)
{
  gint64 now = crossing_now_ms ();
  g_autoptr(Login) l = login_new (NULL, FALSE, now);
  g_autoptr(CompanionUser) user = NULL;
  g_autoptr(GError) error = NULL;
  Committed committed = { 0, };
  gulong id;

  id = g_signal_connect (f->store, "event-committed", G_CALLBACK (on_committed), &committed);
  g_assert_false (companion_store_finalize_login (f->store, NULL, &l->login, NULL, &user, NULL,
                                                  &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_signal_handler_disconnect (f->store, id);
  g_assert_null (user);
  g_assert_cmpuint (committed.n, ==, 0);

  g_assert_null (companion_store_get_user_by_subject (f->store, l->subject, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (companion_store_lookup_session (f->store, l->token_hash, now, NULL, NULL,
                                                  &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
}

/* ---- events, expiry ------------------------------------------------------ */

static void
test_list_events_after (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(CompanionOrder) order = insert_order (f, CROSSING_STATUS_CREATED, 1800000000000);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) last = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GError) error = NULL;
  static const CrossingStatus path[] = {
    CROSSING_STATUS_CLAIMED, CROSSING_STATUS_WAITING_USER, CROSSING_STATUS_APPROVED,
  };

  for (guint i = 0; i < G_N_ELEMENTS (path); i++)
    {
      CompanionOrderChange change = { .to = path[i] };
      g_autofree char *event = g_strdup_printf ("{\"n\":%u}", i + 1);

      g_assert_true (companion_store_transition (f->store, order->id, 0xff, &change, event, NULL,
                                                 &error));
      g_assert_no_error (error);
    }

  all = companion_store_list_events (f->store, order->id, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 3);
  for (guint i = 0; i < all->len; i++)
    {
      CompanionEvent *event = g_ptr_array_index (all, i);
      g_autofree char *expected = g_strdup_printf ("{\"n\":%u}", i + 1);

      g_assert_cmpint (event->seq, ==, i + 1);
      g_assert_cmpint (event->status, ==, path[i]);
      g_assert_cmpstr (event->data, ==, expected);
    }

  last = companion_store_list_events (f->store, order->id, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (last->len, ==, 1);
  g_assert_cmpint (((CompanionEvent *) g_ptr_array_index (last, 0))->seq, ==, 3);

  none = companion_store_list_events (f->store, "no-such-order", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);
}

static void
test_due_orders_next_expiry_pending (Fixture       *f,
                                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint64 pending_before = companion_store_count_pending (f->store, &error);
  /* Far in the past: due whatever else a shared database holds. */
  g_autoptr(CompanionOrder) first = insert_order (f, CROSSING_STATUS_CREATED, 1001);
  g_autoptr(CompanionOrder) second = insert_order (f, CROSSING_STATUS_APPROVED, 1002);
  g_autoptr(CompanionOrder) ended = insert_order (f, CROSSING_STATUS_FINALIZED, 1000);
  g_autoptr(CompanionOrder) later = insert_order (f, CROSSING_STATUS_CLAIMED, 1003);
  g_autoptr(GPtrArray) due = NULL;
  g_autoptr(GPtrArray) one = NULL;
  gboolean saw_first = FALSE, saw_second = FALSE;

  g_assert_no_error (error);
  g_assert_cmpuint (companion_store_count_pending (f->store, &error), ==, pending_before + 3);
  g_assert_no_error (error);
  g_assert_cmpint (companion_store_next_expiry (f->store, &error), <=, 1001);
  g_assert_no_error (error);

  due = companion_store_list_due_orders (f->store, 1002, 100, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < due->len; i++)
    {
      CompanionOrder *order = g_ptr_array_index (due, i);

      g_assert_cmpint (order->expires_at, <=, 1002);
      g_assert_false (crossing_status_is_terminal (order->status));
      if (i > 0)
        g_assert_cmpint (((CompanionOrder *) g_ptr_array_index (due, i - 1))->expires_at, <=,
                         order->expires_at);
      saw_first |= g_strcmp0 (order->id, first->id) == 0;
      saw_second |= g_strcmp0 (order->id, second->id) == 0;
      g_assert_cmpstr (order->id, !=, ended->id);
      g_assert_cmpstr (order->id, !=, later->id);
    }
  g_assert_true (saw_first && saw_second);

  one = companion_store_list_due_orders (f->store, 1002, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (one->len, ==, 1);

  if (f->tmp_dir != NULL)
    {
      CompanionOrderChange expire = { .to = CROSSING_STATUS_EXPIRED };

      /* Alone in its database: exact answers. */
      g_assert_cmpuint (due->len, ==, 2);
      g_assert_cmpint (companion_store_next_expiry (f->store, NULL), ==, 1001);
      for (guint i = 0; i < 3; i++)
        {
          CompanionOrder *order = i == 0 ? first : i == 1 ? second : later;

          g_assert_true (companion_store_transition (f->store, order->id, 0x0f, &expire, "{}",
                                                     NULL, &error));
          g_assert_no_error (error);
        }
      g_assert_cmpint (companion_store_next_expiry (f->store, &error), ==, G_MAXINT64);
      g_assert_no_error (error);
      g_assert_cmpuint (companion_store_count_pending (f->store, &error), ==, 0);
      g_assert_no_error (error);
    }
}

/* ---- users and sessions -------------------------------------------------- */

static void
test_users (Fixture       *f,
            gconstpointer  data)
{
  gint64 now = crossing_now_ms ();
  g_autofree char *id = new_id ();
  g_autofree char *other_id = new_id ();
  g_autofree char *subject = g_strconcat ("ed25519:", id, NULL);
  g_autoptr(CompanionUser) got = NULL;
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(GError) error = NULL;
  CompanionUser user = {
    .id = id, .subject = subject, .name = (char *) "Ada", .role = COMPANION_ROLE_ADMIN,
    .created_at = now,
  };
  CompanionUser same_subject = {
    .id = other_id, .subject = subject, .role = COMPANION_ROLE_USER, .created_at = now,
  };
  gboolean listed = FALSE;

  g_assert_true (companion_store_add_user (f->store, &user, &error));
  g_assert_no_error (error);
  g_assert_false (companion_store_add_user (f->store, &same_subject, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&error);

  got = companion_store_get_user_by_subject (f->store, subject, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got->id, ==, id);
  g_assert_cmpstr (got->name, ==, "Ada");
  g_assert_cmpint (got->role, ==, COMPANION_ROLE_ADMIN);
  g_assert_cmpint (got->created_at, ==, now);
  g_assert_cmpint (got->updated_at, ==, now);

  users = companion_store_list_users (f->store, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < users->len; i++)
    listed |= g_strcmp0 (((CompanionUser *) g_ptr_array_index (users, i))->id, id) == 0;
  g_assert_true (listed);

  g_assert_true (companion_store_remove_user (f->store, subject, &error));
  g_assert_no_error (error);
  g_assert_false (companion_store_remove_user (f->store, subject, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (companion_store_get_user_by_subject (f->store, subject, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
}

static void
test_sessions (Fixture       *f,
               gconstpointer  data)
{
  gint64 now = crossing_now_ms ();
  g_autoptr(CompanionOrder) order = insert_order (f, CROSSING_STATUS_APPROVED, now + 60000);
  g_autoptr(CompanionOrder) order2 = insert_order (f, CROSSING_STATUS_APPROVED, now + 60000);
  g_autoptr(Login) l = login_new (NULL, TRUE, now);
  g_autoptr(Login) l2 = NULL;
  g_autofree char *wrong = crossing_token_hash ("not a session token");
  g_autoptr(GError) error = NULL;

  g_assert_true (companion_store_finalize_login (f->store, order->id, &l->login, "{}", NULL, NULL,
                                                 &error));
  g_assert_no_error (error);

  /* Live until expires_at, not at it. */
  g_assert_true (companion_store_lookup_session (f->store, l->token_hash,
                                                 l->login.session_expires_at - 1, NULL, NULL,
                                                 &error));
  g_assert_no_error (error);
  g_assert_false (companion_store_lookup_session (f->store, l->token_hash,
                                                  l->login.session_expires_at, NULL, NULL,
                                                  &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (companion_store_lookup_session (f->store, wrong, now, NULL, NULL, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Sign-out ends it at once; twice is fine. */
  g_assert_true (companion_store_delete_session (f->store, l->token_hash, &error));
  g_assert_no_error (error);
  g_assert_false (companion_store_lookup_session (f->store, l->token_hash, now, NULL, NULL,
                                                  &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (companion_store_delete_session (f->store, l->token_hash, &error));
  g_assert_no_error (error);

  /* Removing a user ends their sessions. */
  l2 = login_new (l->subject, FALSE, now);
  g_assert_true (companion_store_finalize_login (f->store, order2->id, &l2->login, "{}", NULL,
                                                 NULL, &error));
  g_assert_no_error (error);
  g_assert_true (companion_store_remove_user (f->store, l->subject, &error));
  g_assert_no_error (error);
  g_assert_false (companion_store_lookup_session (f->store, l2->token_hash, now, NULL, NULL,
                                                  &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
}

/* ---- Nimiq nonces ---------------------------------------------------------- */

static CompanionNimiqNonce *
make_nonce (gint64 expires_at)
{
  CompanionNimiqNonce *nonce = g_new0 (CompanionNimiqNonce, 1);
  g_autofree char *nonce_id = new_id ();

  nonce->id_hash = crossing_token_hash (nonce_id);
  nonce->nonce = new_id ();
  nonce->origin = g_strdup ("https://login.example.org");
  nonce->app_name = g_strdup ("Example");
  nonce->issued_at = expires_at - 300000;
  nonce->expires_at = expires_at;
  return nonce;
}

static CompanionNimiqNonce *
insert_nonce (Fixture *f,
              gint64   expires_at)
{
  g_autoptr(GError) error = NULL;
  CompanionNimiqNonce *nonce = make_nonce (expires_at);

  g_assert_true (companion_store_insert_nimiq_nonce (f->store, nonce, &error));
  g_assert_no_error (error);
  return nonce;
}

static void
test_nimiq_nonce_consumed_once (Fixture       *f,
                                gconstpointer  data)
{
  gint64 now = crossing_now_ms ();
  g_autoptr(CompanionNimiqNonce) nonce = insert_nonce (f, now + 300000);
  g_autoptr(CompanionNimiqNonce) got = NULL;
  g_autoptr(CompanionNimiqNonce) again = NULL;
  g_autoptr(CompanionNimiqNonce) missing = NULL;
  g_autoptr(GError) error = NULL;

  /* One nonce per ID: a second with the same is a conflict. */
  g_assert_false (companion_store_insert_nimiq_nonce (f->store, nonce, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&error);

  got = companion_store_consume_nimiq_nonce (f->store, nonce->id_hash, now, &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_assert_cmpstr (got->id_hash, ==, nonce->id_hash);
  g_assert_cmpstr (got->nonce, ==, nonce->nonce);
  g_assert_cmpstr (got->origin, ==, "https://login.example.org");
  g_assert_cmpstr (got->app_name, ==, "Example");
  g_assert_cmpint (got->issued_at, ==, nonce->issued_at);
  g_assert_cmpint (got->expires_at, ==, nonce->expires_at);

  again = companion_store_consume_nimiq_nonce (f->store, nonce->id_hash, now, &error);
  g_assert_null (again);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  missing = companion_store_consume_nimiq_nonce (f->store, "no-such-nonce", now, &error);
  g_assert_null (missing);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
}

/* Expired at expires_at, not before; consumed all the same. */
static void
test_nimiq_nonce_expired (Fixture       *f,
                          gconstpointer  data)
{
  gint64 now = crossing_now_ms ();
  g_autoptr(CompanionNimiqNonce) live = insert_nonce (f, now + 1);
  g_autoptr(CompanionNimiqNonce) nonce = insert_nonce (f, now);
  g_autoptr(CompanionNimiqNonce) got = NULL;
  g_autoptr(GError) error = NULL;
  guint64 count;

  count = companion_store_count_nimiq_nonces (f->store, now, &error);
  g_assert_no_error (error);

  got = companion_store_consume_nimiq_nonce (f->store, nonce->id_hash, now, &error);
  g_assert_null (got);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Deleted: not even an earlier clock finds it now. */
  got = companion_store_consume_nimiq_nonce (f->store, nonce->id_hash, now - 1000, &error);
  g_assert_null (got);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* It did not count as live, and the live one is untouched. */
  g_assert_cmpuint (companion_store_count_nimiq_nonces (f->store, now, &error), ==, count);
  g_assert_no_error (error);

  got = companion_store_consume_nimiq_nonce (f->store, live->id_hash, now, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got->nonce, ==, live->nonce);
}

static void
test_nimiq_nonce_count_sweep (Fixture       *f,
                              gconstpointer  data)
{
  /* Far in the past, so a shared database's other nonces are all later. */
  const gint64 now = 100000;
  g_autoptr(GError) error = NULL;
  guint64 live_before = companion_store_count_nimiq_nonces (f->store, now, &error);
  g_autoptr(CompanionNimiqNonce) old1 = insert_nonce (f, now - 2);
  g_autoptr(CompanionNimiqNonce) old2 = insert_nonce (f, now);
  g_autoptr(CompanionNimiqNonce) live1 = insert_nonce (f, now + 1);
  g_autoptr(CompanionNimiqNonce) live2 = insert_nonce (f, now + 60000);
  g_autoptr(CompanionNimiqNonce) got = NULL;
  guint64 swept;

  g_assert_no_error (error);
  g_assert_cmpuint (companion_store_count_nimiq_nonces (f->store, now, &error), ==,
                    live_before + 2);
  g_assert_no_error (error);
  g_assert_cmpuint (companion_store_count_nimiq_nonces (f->store, now - 3, &error), >=,
                    live_before + 4);
  g_assert_no_error (error);

  swept = companion_store_sweep_nimiq_nonces (f->store, now, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (swept, >=, 2);
  if (f->tmp_dir != NULL)
    g_assert_cmpuint (swept, ==, 2);
  /* Nothing left to sweep at that time; the live ones stay. */
  g_assert_cmpuint (companion_store_sweep_nimiq_nonces (f->store, now, &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpuint (companion_store_count_nimiq_nonces (f->store, now, &error), ==,
                    live_before + 2);
  g_assert_no_error (error);
  g_assert_cmpuint (companion_store_count_nimiq_nonces (f->store, now - 3, &error), ==,
                    live_before + 2);
  g_assert_no_error (error);

  got = companion_store_consume_nimiq_nonce (f->store, old1->id_hash, 0, &error);
  g_assert_null (got);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  got = companion_store_consume_nimiq_nonce (f->store, live1->id_hash, now, &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_clear_pointer (&got, companion_nimiq_nonce_free);

  if (f->tmp_dir != NULL)
    {
      /* Alone in its database: exact answers. */
      g_assert_cmpuint (companion_store_count_nimiq_nonces (f->store, now, &error), ==, 1);
      g_assert_cmpuint (companion_store_sweep_nimiq_nonces (f->store, G_MAXINT64 - 1, &error), ==,
                        1);
      g_assert_cmpuint (companion_store_count_nimiq_nonces (f->store, 0, &error), ==, 0);
      g_assert_no_error (error);
    }
}

/* ---- races ---------------------------------------------------------------- */

typedef struct {
  const char *uri;
  const char *order_id;
  CrossingStatus to;
  GError     *error;
  gboolean    won;
} Racer;

static gpointer
race (gpointer data)
{
  Racer *r = data;
  g_autoptr(CompanionStore) store = companion_store_open (r->uri, &r->error);
  CompanionOrderChange change = { .to = r->to };

  if (store == NULL)
    return NULL;
  r->won = companion_store_transition (store, r->order_id,
                                       COMPANION_STATUS_BIT (CROSSING_STATUS_CREATED), &change,
                                       "{}", NULL, &r->error);
  return NULL;
}

/* Racers on their own connections, all from "created": one wins, the
 * others learn CONFLICT, and only the winner's event exists. */
static void
test_race_one_winner (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(CompanionOrder) order = insert_order (f, CROSSING_STATUS_CREATED, 1800000000000);
  static const CrossingStatus targets[] = {
    CROSSING_STATUS_CLAIMED, CROSSING_STATUS_CANCELLED, CROSSING_STATUS_EXPIRED,
  };
  Racer racers[N_RACERS] = { { 0, }, };
  GThread *threads[N_RACERS];
  CrossingStatus winner = CROSSING_STATUS_INVALID;
  guint wins = 0;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < N_RACERS; i++)
    {
      racers[i].uri = f->uri;
      racers[i].order_id = order->id;
      racers[i].to = targets[i % G_N_ELEMENTS (targets)];
      threads[i] = g_thread_new ("racer", race, &racers[i]);
    }
  for (guint i = 0; i < N_RACERS; i++)
    {
      g_thread_join (threads[i]);
      if (racers[i].won)
        {
          g_assert_no_error (racers[i].error);
          wins++;
          winner = racers[i].to;
        }
      else
        g_assert_error (racers[i].error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
      g_clear_error (&racers[i].error);
    }

  g_assert_cmpuint (wins, ==, 1);
  g_assert_cmpint (status_of (f, order->id), ==, winner);
  events = companion_store_list_events (f->store, order->id, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpint (((CompanionEvent *) g_ptr_array_index (events, 0))->status, ==, winner);
}

typedef struct {
  const char          *uri;
  const char          *id_hash;
  gint64               now;
  GError              *error;
  CompanionNimiqNonce *nonce;
} NonceRacer;

static gpointer
race_nonce (gpointer data)
{
  NonceRacer *r = data;
  g_autoptr(CompanionStore) store = companion_store_open (r->uri, &r->error);

  if (store == NULL)
    return NULL;
  r->nonce = companion_store_consume_nimiq_nonce (store, r->id_hash, r->now, &r->error);
  return NULL;
}

/* Racers on their own connections consume one nonce: one gets it, the
 * others learn NOT_FOUND. */
static void
test_race_nimiq_nonce_one_winner (Fixture       *f,
                                  gconstpointer  data)
{
  gint64 now = crossing_now_ms ();
  g_autoptr(CompanionNimiqNonce) nonce = insert_nonce (f, now + 300000);
  NonceRacer racers[N_RACERS] = { { 0, }, };
  GThread *threads[N_RACERS];
  guint wins = 0;

  for (guint i = 0; i < N_RACERS; i++)
    {
      racers[i].uri = f->uri;
      racers[i].id_hash = nonce->id_hash;
      racers[i].now = now;
      threads[i] = g_thread_new ("racer", race_nonce, &racers[i]);
    }
  for (guint i = 0; i < N_RACERS; i++)
    {
      g_thread_join (threads[i]);
      if (racers[i].nonce != NULL)
        {
          g_assert_no_error (racers[i].error);
          g_assert_cmpstr (racers[i].nonce->nonce, ==, nonce->nonce);
          wins++;
        }
      else
        g_assert_error (racers[i].error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
      g_clear_error (&racers[i].error);
      g_clear_pointer (&racers[i].nonce, companion_nimiq_nonce_free);
    }
  g_assert_cmpuint (wins, ==, 1);
}

/* On one connection too: the second of two changes from the same state. */
static void
test_race_sequential (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(CompanionOrder) order = insert_order (f, CROSSING_STATUS_CREATED, 1800000000000);
  guint wins = 0;

  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(GError) error = NULL;
      CompanionOrderChange change = { .to = CROSSING_STATUS_CLAIMED };

      if (companion_store_transition (f->store, order->id,
                                      COMPANION_STATUS_BIT (CROSSING_STATUS_CREATED), &change,
                                      "{}", NULL, &error))
        wins++;
      else
        g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
    }
  g_assert_cmpuint (wins, ==, 1);
  g_assert_cmpuint (n_events (f, order->id), ==, 1);
}

/* ---- event-committed ------------------------------------------------------ */

static void
test_event_committed (Fixture       *f,
                      gconstpointer  data)
{
  gint64 now = crossing_now_ms ();
  g_autoptr(CompanionOrder) order = insert_order (f, CROSSING_STATUS_CLAIMED, now + 60000);
  g_autoptr(Login) l = login_new (NULL, TRUE, now);
  g_autoptr(GError) error = NULL;
  CompanionOrderChange waiting = { .to = CROSSING_STATUS_WAITING_USER };
  CompanionOrderChange approve = { .to = CROSSING_STATUS_APPROVED };
  Committed c = { 0, };
  guint failures;
  gint64 seq = 0;
  gulong id;

  id = g_signal_connect (f->store, "event-committed", G_CALLBACK (on_committed), &c);

  g_assert_true (companion_store_transition (f->store, order->id,
                                             COMPANION_STATUS_BIT (CROSSING_STATUS_CLAIMED),
                                             &waiting, "{\"w\":1}", &seq, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.n, ==, 1);
  g_assert_cmpstr (c.order_id, ==, order->id);
  g_assert_cmpint (c.seq, ==, seq);
  g_assert_cmpint (c.status, ==, CROSSING_STATUS_WAITING_USER);
  g_assert_cmpstr (c.data, ==, "{\"w\":1}");

  /* A failed compare-and-set, a counted check code: nothing committed. */
  g_assert_false (companion_store_transition (f->store, order->id,
                                              COMPANION_STATUS_BIT (CROSSING_STATUS_CLAIMED),
                                              &waiting, "{}", NULL, &error));
  g_clear_error (&error);
  g_assert_true (companion_store_add_check_code_failure (f->store, order->id, &failures, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.n, ==, 1);

  g_assert_true (companion_store_transition (f->store, order->id, 0xff, &approve, "{}", NULL,
                                             &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.n, ==, 2);

  g_assert_true (companion_store_finalize_login (f->store, order->id, &l->login, "{\"f\":1}",
                                                 NULL, &seq, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.n, ==, 3);
  g_assert_cmpint (c.seq, ==, seq);
  g_assert_cmpint (c.seq, ==, 3);
  g_assert_cmpint (c.status, ==, CROSSING_STATUS_FINALIZED);
  g_assert_cmpstr (c.data, ==, "{\"f\":1}");

  /* The event is readable from inside the handler's moment on. */
  g_assert_cmpuint (n_events (f, order->id), ==, 3);

  g_signal_handler_disconnect (f->store, id);
  committed_clear (&c);
}

/* ---- latency observer ------------------------------------------------------ */

typedef struct {
  guint  calls;
  gint64 total;
} Latency;

static void
on_latency (gint64   microseconds,
            gpointer user_data)
{
  Latency *latency = user_data;

  g_assert_cmpint (microseconds, >=, 0);
  latency->calls++;
  latency->total += microseconds;
}

/* Once per store call, failed ones too; not after it is removed. */
static void
test_latency_observer (Fixture       *f,
                       gconstpointer  data)
{
  gint64 now = crossing_now_ms ();
  g_autoptr(CompanionOrder) order = make_order (CROSSING_STATUS_CREATED, now + 60000);
  g_autoptr(CompanionNimiqNonce) nonce = make_nonce (now + 60000);
  g_autoptr(Login) l = login_new (NULL, TRUE, now);
  g_autofree char *user_id = new_id ();
  CompanionUser user = { .id = user_id, .subject = user_id, .created_at = now };
  CompanionOrderChange change = { .to = CROSSING_STATUS_CLAIMED };
  Latency latency = { 0, };
  guint failures;
  guint expected = 0;

#define CALL(call) \
  G_STMT_START { \
    g_autoptr(GError) error_ = NULL; \
    GError **error = &error_; \
    call; \
    expected++; \
    g_assert_cmpuint (latency.calls, ==, expected); \
  } G_STMT_END

  companion_store_set_latency_observer (f->store, on_latency, &latency);

  CALL (g_assert_true (companion_store_insert_order (f->store, order, error)));
  CALL (companion_order_free (companion_store_get_order (f->store, order->id, error)));
  CALL (g_assert_null (companion_store_get_order (f->store, "no-such-order", error)));
  CALL (g_assert_null (companion_store_get_order_by_challenge_hash (f->store, "no-such-hash",
                                                                    error)));
  CALL (g_assert_true (companion_store_add_check_code_failure (f->store, order->id, &failures,
                                                               error) == FALSE));
  CALL (g_assert_true (companion_store_transition (f->store, order->id,
                                                   COMPANION_STATUS_BIT (CROSSING_STATUS_CREATED),
                                                   &change, "{}", NULL, error)));
  CALL (g_ptr_array_unref (companion_store_list_events (f->store, order->id, 0, error)));
  CALL (g_ptr_array_unref (companion_store_list_due_orders (f->store, 0, 1, error)));
  CALL (companion_store_next_expiry (f->store, error));
  CALL (companion_store_count_pending (f->store, error));
  CALL (g_assert_true (companion_store_add_user (f->store, &user, error)));
  CALL (companion_user_free (companion_store_get_user_by_subject (f->store, user_id, error)));
  CALL (g_ptr_array_unref (companion_store_list_users (f->store, error)));
  CALL (g_assert_true (companion_store_finalize_login (f->store, NULL, &l->login, NULL, NULL,
                                                       NULL, error)));
  CALL (g_assert_true (companion_store_lookup_session (f->store, l->token_hash, now, NULL, NULL,
                                                       error)));
  CALL (g_assert_true (companion_store_delete_session (f->store, l->token_hash, error)));
  CALL (g_assert_true (companion_store_remove_user (f->store, user_id, error)));
  CALL (g_assert_true (companion_store_insert_nimiq_nonce (f->store, nonce, error)));
  CALL (companion_store_count_nimiq_nonces (f->store, now, error));
  CALL (companion_nimiq_nonce_free (companion_store_consume_nimiq_nonce (f->store, nonce->id_hash,
                                                                         now, error)));
  CALL (companion_store_sweep_nimiq_nonces (f->store, 0, error));

  companion_store_set_latency_observer (f->store, NULL, NULL);
  companion_store_count_pending (f->store, NULL);
  g_assert_cmpuint (latency.calls, ==, expected);
#undef CALL
}

/* ---- errors ---------------------------------------------------------------- */

static void
test_closed_store_unavailable (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(CompanionOrder) order = make_order (CROSSING_STATUS_CREATED, 1800000000000);
  g_autoptr(Login) l = login_new (NULL, TRUE, 1000);
  CompanionUser user = { .id = (char *) "u", .subject = (char *) "s", .created_at = 1 };
  g_autoptr(CompanionNimiqNonce) nonce = make_nonce (1800000000000);
  CompanionOrderChange change = { .to = CROSSING_STATUS_CANCELLED };
  GError *error = NULL;
  guint failures;

#define ASSERT_UNAVAILABLE(call) \
  G_STMT_START { \
    call; \
    g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE); \
    g_clear_error (&error); \
  } G_STMT_END

  companion_store_close (f->store);
  g_assert_nonnull (companion_store_get_backend_name (f->store));

  ASSERT_UNAVAILABLE (g_assert_false (companion_store_insert_order (f->store, order, &error)));
  ASSERT_UNAVAILABLE (g_assert_null (companion_store_get_order (f->store, order->id, &error)));
  ASSERT_UNAVAILABLE (g_assert_false (companion_store_transition (f->store, order->id, 0xff,
                                                                  &change, "{}", NULL, &error)));
  ASSERT_UNAVAILABLE (g_assert_false (companion_store_add_check_code_failure (f->store, order->id,
                                                                              &failures, &error)));
  ASSERT_UNAVAILABLE (g_assert_false (companion_store_finalize_login (f->store, order->id,
                                                                      &l->login, "{}", NULL,
                                                                      NULL, &error)));
  ASSERT_UNAVAILABLE (g_assert_null (companion_store_list_events (f->store, order->id, 0,
                                                                  &error)));
  ASSERT_UNAVAILABLE (g_assert_null (companion_store_list_due_orders (f->store, 0, 1, &error)));
  ASSERT_UNAVAILABLE (g_assert_cmpint (companion_store_next_expiry (f->store, &error), ==,
                                       G_MAXINT64));
  ASSERT_UNAVAILABLE (g_assert_cmpuint (companion_store_count_pending (f->store, &error), ==, 0));
  ASSERT_UNAVAILABLE (g_assert_false (companion_store_add_user (f->store, &user, &error)));
  ASSERT_UNAVAILABLE (g_assert_null (companion_store_get_user_by_subject (f->store, "s",
                                                                          &error)));
  ASSERT_UNAVAILABLE (g_assert_null (companion_store_list_users (f->store, &error)));
  ASSERT_UNAVAILABLE (g_assert_false (companion_store_remove_user (f->store, "s", &error)));
  ASSERT_UNAVAILABLE (g_assert_false (companion_store_lookup_session (f->store, l->token_hash, 0,
                                                                      NULL, NULL, &error)));
  ASSERT_UNAVAILABLE (g_assert_false (companion_store_delete_session (f->store, l->token_hash,
                                                                      &error)));
  ASSERT_UNAVAILABLE (g_assert_null (companion_store_get_order_by_challenge_hash (f->store, "h",
                                                                                  &error)));
  ASSERT_UNAVAILABLE (g_assert_false (companion_store_finalize_login (f->store, NULL, &l->login,
                                                                      NULL, NULL, NULL, &error)));
  ASSERT_UNAVAILABLE (g_assert_false (companion_store_insert_nimiq_nonce (f->store, nonce,
                                                                          &error)));
  ASSERT_UNAVAILABLE (g_assert_null (companion_store_consume_nimiq_nonce (f->store,
                                                                          nonce->id_hash, 0,
                                                                          &error)));
  ASSERT_UNAVAILABLE (g_assert_cmpuint (companion_store_count_nimiq_nonces (f->store, 0, &error),
                                        ==, 0));
  ASSERT_UNAVAILABLE (g_assert_cmpuint (companion_store_sweep_nimiq_nonces (f->store, 0, &error),
                                        ==, 0));
#undef ASSERT_UNAVAILABLE
}

static void
test_backend_name (Fixture       *f,
                   gconstpointer  data)
{
  const char *name = companion_store_get_backend_name (f->store);

  g_assert_nonnull (name);
  if (g_str_has_prefix (f->uri, "sqlite:"))
    g_assert_cmpstr (name, ==, "sqlite");
  else if (g_str_has_prefix (f->uri, "postgres"))
    g_assert_cmpstr (name, ==, "postgresql");
}

static void
test_open_uris (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CompanionStore) store = NULL;
  g_autofree char *dir = g_dir_make_tmp ("crossing-store-test-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(GString) garbage = g_string_new (NULL);

  g_assert_no_error (error);

  g_assert_null (companion_store_open ("mysql://db.example.org/crossing", &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "mysql"));
  g_clear_error (&error);

  store = companion_store_open (":memory:", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (companion_store_get_backend_name (store), ==, "sqlite");
  g_clear_object (&store);

  /* sqlite:// with an absolute path, in a folder that does not exist yet. */
  path = g_build_filename (dir, "sub", "store.db", NULL);
  uri = g_strconcat ("sqlite://", path, NULL);
  store = companion_store_open (uri, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_clear_object (&store);

  /* Not a database: CORRUPT, and the file stays as it was. */
  for (guint i = 0; i < 4096; i++)
    g_string_append_c (garbage, "garbage\n"[i % 8]);
  g_assert_true (g_file_set_contents (path, garbage->str, garbage->len, NULL));
  g_assert_null (companion_store_open (path, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CORRUPT);
  g_clear_error (&error);

  g_assert_no_errno (g_unlink (path));
  {
    g_autofree char *sub = g_path_get_dirname (path);

    g_assert_no_errno (g_rmdir (sub));
  }
  g_assert_no_errno (g_rmdir (dir));
}

/* ---- issue 14: status polling, user codes, identified orders ----------- */

static void
test_poll_compare_and_set (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(CompanionOrder) order = make_order (CROSSING_STATUS_CREATED, 1800000000000);
  g_autoptr(CompanionOrder) again = NULL;
  g_autoptr(GError) error = NULL;

  order->poll_interval = 3;
  g_assert_true (companion_store_insert_order (f->store, order, &error));
  g_assert_no_error (error);
  again = companion_store_get_order (f->store, order->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->poll_interval, ==, 3);
  g_assert_cmpint (again->last_poll_at, ==, 0);
  g_clear_pointer (&again, companion_order_free);

  /* Applies to what was read... */
  g_assert_true (companion_store_update_poll (f->store, order->id, 0, 3, 1700000000000, 3,
                                              &error));
  g_assert_no_error (error);
  /* ...and not twice: the second poller read the same. */
  g_assert_false (companion_store_update_poll (f->store, order->id, 0, 3, 1700000000001, 3,
                                               &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  /* The interval is part of what must match. */
  g_assert_false (companion_store_update_poll (f->store, order->id, 1700000000000, 8,
                                               1700000000000, 13, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_true (companion_store_update_poll (f->store, order->id, 1700000000000, 3,
                                              1700000000000, 8, &error));
  g_assert_no_error (error);

  again = companion_store_get_order (f->store, order->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->poll_interval, ==, 8);
  g_assert_cmpint (again->last_poll_at, ==, 1700000000000);
  /* Polling is not an event. */
  g_assert_cmpint (again->event_seq, ==, 0);
  g_assert_cmpuint (n_events (f, order->id), ==, 0);

  g_assert_false (companion_store_update_poll (f->store, "no-such-order", 0, 3, 1, 3, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&error);

  companion_store_close (f->store);
  g_assert_false (companion_store_update_poll (f->store, order->id, 1700000000000, 8, 1, 8,
                                               &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE);
}

static void
test_user_codes_live_unique (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(CompanionOrder) order = make_order (CROSSING_STATUS_CREATED, 1800000000000);
  g_autoptr(CompanionOrder) twin = make_order (CROSSING_STATUS_CREATED, 1800000000000);
  g_autoptr(CompanionOrder) found = NULL;
  g_autoptr(CompanionOrder) missing = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = new_id ();
  g_autofree char *hash = crossing_token_hash (code);
  CompanionOrderChange claim = { .to = CROSSING_STATUS_CLAIMED };
  guint64 before = companion_store_count_user_codes (f->store, 1700000000000, &error);

  g_assert_no_error (error);
  order->user_code_hash = g_strdup (hash);
  g_assert_true (companion_store_insert_order (f->store, order, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (companion_store_count_user_codes (f->store, 1700000000000, &error), ==,
                    before + 1);
  /* Past its expiry a code is not live, even before the timer ran. */
  g_assert_cmpuint (companion_store_count_user_codes (f->store, 1800000000000, &error), ==, 0);

  found = companion_store_get_order_by_user_code (f->store, hash, 1700000000000, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->id, ==, order->id);
  g_assert_cmpstr (found->user_code_hash, ==, hash);
  missing = companion_store_get_order_by_user_code (f->store, hash, 1800000000000, &error);
  g_assert_null (missing);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Unique among created orders... */
  twin->user_code_hash = g_strdup (hash);
  g_assert_false (companion_store_insert_order (f->store, twin, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&error);

  /* ...and a claim ends it: not found, not counted, free to draw again. */
  g_assert_true (companion_store_transition (f->store, order->id,
                                             COMPANION_STATUS_BIT (CROSSING_STATUS_CREATED),
                                             &claim, "{}", NULL, &error));
  g_assert_no_error (error);
  missing = companion_store_get_order_by_user_code (f->store, hash, 1700000000000, &error);
  g_assert_null (missing);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpuint (companion_store_count_user_codes (f->store, 1700000000000, &error), ==,
                    before);
  g_assert_true (companion_store_insert_order (f->store, twin, &error));
  g_assert_no_error (error);

  missing = companion_store_get_order_by_user_code (f->store, "no-such-hash", 1700000000000,
                                                    &error);
  g_assert_null (missing);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
}

static void
test_user_code_misses (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *scope = g_strdup_printf ("192.0.2.%u", g_random_int_range (1, 255));
  g_autofree char *other = g_strconcat (scope, "/other", NULL);
  gint64 t0 = 1700000000000;
  CompanionMissWindow w = { 99, 99 };

  /* None yet. */
  g_assert_true (companion_store_get_user_code_misses (f->store, scope, t0, &w, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (w.misses, ==, 0);
  g_assert_cmpint (w.window_ends, ==, 0);

  /* The first miss opens a window; the next ones count in it. */
  for (guint i = 1; i <= 3; i++)
    {
      g_assert_true (companion_store_add_user_code_miss (f->store, scope, t0 + i * 1000, 60000,
                                                         &w, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (w.misses, ==, i);
      g_assert_cmpint (w.window_ends, ==, t0 + 1000 + 60000);
    }
  g_assert_true (companion_store_get_user_code_misses (f->store, scope, t0 + 60999, &w, &error));
  g_assert_cmpuint (w.misses, ==, 3);
  g_assert_cmpint (w.window_ends, ==, t0 + 61000);
  /* Scopes are apart. */
  g_assert_true (companion_store_get_user_code_misses (f->store, other, t0 + 5000, &w, &error));
  g_assert_cmpuint (w.misses, ==, 0);

  /* Once the window has ended it is gone, and a miss opens a new one. */
  g_assert_true (companion_store_get_user_code_misses (f->store, scope, t0 + 61000, &w, &error));
  g_assert_cmpuint (w.misses, ==, 0);
  g_assert_true (companion_store_add_user_code_miss (f->store, scope, t0 + 70000, 60000, &w,
                                                     &error));
  g_assert_no_error (error);
  g_assert_cmpuint (w.misses, ==, 1);
  g_assert_cmpint (w.window_ends, ==, t0 + 130000);

  companion_store_close (f->store);
  g_assert_false (companion_store_add_user_code_miss (f->store, scope, t0, 60000, &w, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  g_assert_false (companion_store_get_user_code_misses (f->store, scope, t0, &w, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE);
}

static void
test_subject_mismatches (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CompanionOrder) order = make_order (CROSSING_STATUS_WAITING_USER, 1800000000000);
  g_autoptr(CompanionOrder) created = insert_order (f, CROSSING_STATUS_CREATED, 1800000000000);
  g_autoptr(CompanionOrder) again = NULL;
  CompanionOrderChange reject = { .to = CROSSING_STATUS_REJECTED };
  guint n = 0;

  order->identified = TRUE;
  order->subject = g_strdup ("NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U");
  order->extra_details = g_strdup ("{\"terminal\":\"Till 4\"}");
  g_assert_true (companion_store_insert_order (f->store, order, &error));
  g_assert_no_error (error);
  again = companion_store_get_order (f->store, order->id, &error);
  g_assert_true (again->identified);
  g_assert_cmpstr (again->subject, ==, order->subject);
  g_assert_cmpuint (again->subject_mismatches, ==, 0);
  g_assert_cmpstr (again->extra_details, ==, order->extra_details);
  g_clear_pointer (&again, companion_order_free);
  again = companion_store_get_order (f->store, created->id, &error);
  g_assert_false (again->identified);
  g_assert_null (again->extra_details);
  g_clear_pointer (&again, companion_order_free);

  for (guint i = 1; i <= 3; i++)
    {
      g_assert_true (companion_store_add_subject_mismatch (f->store, order->id, &n, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (n, ==, i);
    }
  again = companion_store_get_order (f->store, order->id, &error);
  g_assert_cmpuint (again->subject_mismatches, ==, 3);
  /* Counting is not a transition. */
  g_assert_cmpint (again->status, ==, CROSSING_STATUS_WAITING_USER);
  g_assert_cmpint (again->event_seq, ==, 0);

  /* Only claimed or waiting orders count them. */
  g_assert_false (companion_store_add_subject_mismatch (f->store, created->id, &n, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_true (companion_store_transition (f->store, order->id,
                                             COMPANION_STATUS_BIT (CROSSING_STATUS_WAITING_USER),
                                             &reject, "{}", NULL, &error));
  g_assert_false (companion_store_add_subject_mismatch (f->store, order->id, &n, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_false (companion_store_add_subject_mismatch (f->store, "no-such-order", &n, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
}

/* Misses counted from many threads at once (companions on one database)
 * are each counted once. */
typedef struct {
  const char *uri;
  const char *scope;
  guint       n;
} MissRacer;

static gpointer
count_misses (gpointer data)
{
  MissRacer *racer = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CompanionStore) store = companion_store_open (racer->uri, &error);
  CompanionMissWindow w;

  g_assert_no_error (error);
  for (guint i = 0; i < racer->n; i++)
    {
      g_assert_true (companion_store_add_user_code_miss (store, racer->scope, 1700000000000 + i,
                                                         60000, &w, &error));
      g_assert_no_error (error);
    }
  return NULL;
}

static void
test_user_code_misses_race (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *scope = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  MissRacer racer = { f->uri, scope, 25 };
  GThread *threads[N_RACERS];
  CompanionMissWindow w = { 0, };

  for (guint i = 0; i < N_RACERS; i++)
    threads[i] = g_thread_new ("miss-racer", count_misses, &racer);
  for (guint i = 0; i < N_RACERS; i++)
    g_thread_join (threads[i]);

  g_assert_true (companion_store_get_user_code_misses (f->store, scope, 1700000000100, &w, NULL));
  g_assert_cmpuint (w.misses, ==, N_RACERS * 25);
}

/* ---- issue 16: passkeys ------------------------------------------------- */

static CompanionPasskey *
make_passkey (const char *credential_id)
{
  CompanionPasskey *passkey = g_new0 (CompanionPasskey, 1);

  passkey->credential_id = g_strdup (credential_id);
  passkey->alg = -7;
  passkey->public_key_cose = g_strdup ("pQECAyYgASFYIA");
  passkey->sign_count = 0;
  passkey->backup_eligible = TRUE;
  passkey->backup_state = TRUE;
  passkey->transports = g_strdup ("hybrid,internal");
  passkey->attestation_format = g_strdup ("none");
  passkey->created_at = 1700000000000;
  return passkey;
}

static void
test_passkeys (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(CompanionPasskey) passkey = make_passkey ("Y3JlZGVudGlhbC0x");
  g_autoptr(CompanionPasskey) other = make_passkey ("Y3JlZGVudGlhbC0y");
  g_autoptr(CompanionPasskey) again = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (companion_store_add_passkey (f->store, passkey, &error));
  g_assert_no_error (error);
  /* A credential registers once: a second registration is refused. */
  g_assert_false (companion_store_add_passkey (f->store, passkey, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&error);

  other->alg = -8;
  other->sign_count = 7;
  other->backup_eligible = FALSE;
  other->backup_state = FALSE;
  g_clear_pointer (&other->transports, g_free);
  g_assert_true (companion_store_add_passkey (f->store, other, &error));
  g_assert_no_error (error);

  again = companion_store_get_passkey (f->store, passkey->credential_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->credential_id, ==, passkey->credential_id);
  g_assert_cmpint (again->alg, ==, -7);
  g_assert_cmpstr (again->public_key_cose, ==, passkey->public_key_cose);
  g_assert_cmpuint (again->sign_count, ==, 0);
  g_assert_true (again->backup_eligible);
  g_assert_true (again->backup_state);
  g_assert_cmpstr (again->transports, ==, "hybrid,internal");
  g_assert_cmpstr (again->attestation_format, ==, "none");
  g_assert_cmpint (again->created_at, ==, 1700000000000);
  g_assert_cmpint (again->last_used_at, ==, 0);
  g_clear_pointer (&again, companion_passkey_free);

  again = companion_store_get_passkey (f->store, other->credential_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (again->alg, ==, -8);
  g_assert_cmpuint (again->sign_count, ==, 7);
  g_assert_false (again->backup_eligible);
  g_assert_false (again->backup_state);
  g_assert_null (again->transports);
  g_clear_pointer (&again, companion_passkey_free);

  /* Case matters: base64url ids differ by case. */
  g_assert_null (companion_store_get_passkey (f->store, "y3jlzgvudglhbc0x", &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The sign count moves as a compare-and-set; the other passkey stays. */
  g_assert_true (companion_store_use_passkey (f->store, other->credential_id, 7, 8, TRUE,
                                              1700000001000, &error));
  g_assert_no_error (error);
  g_assert_false (companion_store_use_passkey (f->store, other->credential_id, 7, 9, FALSE,
                                               1700000002000, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_false (companion_store_use_passkey (f->store, "bm8tc3VjaA", 0, 1, FALSE,
                                               1700000002000, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&error);

  again = companion_store_get_passkey (f->store, other->credential_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->sign_count, ==, 8);
  g_assert_true (again->backup_state);
  g_assert_cmpint (again->last_used_at, ==, 1700000001000);
  g_clear_pointer (&again, companion_passkey_free);
  again = companion_store_get_passkey (f->store, passkey->credential_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->sign_count, ==, 0);
  g_assert_cmpint (again->last_used_at, ==, 0);
  g_clear_pointer (&again, companion_passkey_free);

  /* The largest count an authenticator can send. */
  g_assert_true (companion_store_use_passkey (f->store, other->credential_id, 8, G_MAXUINT32,
                                              TRUE, 1700000003000, &error));
  g_assert_no_error (error);
  again = companion_store_get_passkey (f->store, other->credential_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->sign_count, ==, G_MAXUINT32);
  g_clear_pointer (&again, companion_passkey_free);

  companion_store_close (f->store);
  g_assert_null (companion_store_get_passkey (f->store, passkey->credential_id, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE);
}

static void
test_webauthn_proofs (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(CompanionOrder) order = insert_order (f, CROSSING_STATUS_WAITING_USER, 1800000000000);
  g_autoptr(CompanionWebauthnProof) again = NULL;
  g_autoptr(GError) error = NULL;
  CompanionWebauthnProof create = {
    .order_id = order->id,
    .credential_id = (char *) "Y3JlZA",
    .client_data_json = (char *) "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0",
    .attestation_object = (char *) "o2NmbXRkbm9uZQ",
  };
  CompanionWebauthnProof get = {
    .order_id = order->id,
    .credential_id = (char *) "Y3JlZA",
    .client_data_json = (char *) "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0",
    .authenticator_data = (char *) "YXV0aA",
    .signature = (char *) "c2ln",
  };

  g_assert_null (companion_store_get_webauthn_proof (f->store, order->id, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (companion_store_put_webauthn_proof (f->store, &create, &error));
  g_assert_no_error (error);
  again = companion_store_get_webauthn_proof (f->store, order->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->order_id, ==, order->id);
  g_assert_cmpstr (again->credential_id, ==, "Y3JlZA");
  g_assert_cmpstr (again->client_data_json, ==, create.client_data_json);
  g_assert_cmpstr (again->attestation_object, ==, create.attestation_object);
  g_assert_null (again->authenticator_data);
  g_assert_null (again->signature);
  g_clear_pointer (&again, companion_webauthn_proof_free);

  /* A later answer for the same order replaces the earlier one whole. */
  g_assert_true (companion_store_put_webauthn_proof (f->store, &get, &error));
  g_assert_no_error (error);
  again = companion_store_get_webauthn_proof (f->store, order->id, &error);
  g_assert_no_error (error);
  g_assert_null (again->attestation_object);
  g_assert_cmpstr (again->client_data_json, ==, get.client_data_json);
  g_assert_cmpstr (again->authenticator_data, ==, "YXV0aA");
  g_assert_cmpstr (again->signature, ==, "c2ln");
  g_clear_pointer (&again, companion_webauthn_proof_free);

  /* Only for an order that exists; not an event of it. */
  get.order_id = (char *) "no-such-order";
  g_assert_false (companion_store_put_webauthn_proof (f->store, &get, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpuint (n_events (f, order->id), ==, 0);
}

/* ---- users by id, roles, and the ledger ---------------------------------- */

#define T0 1800000000000

/* A new user; returns its id. */
static char *
add_ledger_user (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  char *id = new_id ();
  g_autofree char *subject = g_strconcat ("ed25519:", id, NULL);
  CompanionUser user = {
    .id = id, .subject = subject, .role = COMPANION_ROLE_USER, .created_at = T0,
  };

  g_assert_true (companion_store_add_user (f->store, &user, &error));
  g_assert_no_error (error);
  return id;
}

static char *
respond_with_seq (const CompanionLedgerResult *result,
                  gpointer                     user_data)
{
  return g_strdup_printf ("{\"seq\":%" G_GINT64_FORMAT ",\"posted\":%" G_GINT64_FORMAT "}",
                          result->entry->seq, result->balance.posted);
}

/* A posting of @kind with a fresh entry id; @key NULL for none (the
 * fingerprint is the key's own text plus @fingerprint_extra). */
static CompanionLedgerOutcome
post (Fixture                *f,
      CompanionLedgerPosting *p,
      const char             *key,
      const char             *fingerprint,
      CompanionLedgerResult  *out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *entry_id = new_id ();

  p->entry_id = entry_id;
  p->idempotency_key = key;
  p->fingerprint = key != NULL ? fingerprint : NULL;
  p->respond = key != NULL ? respond_with_seq : NULL;
  if (p->reason == NULL)
    p->reason = "test";
  if (p->type == NULL)
    p->type = "credit";
  g_assert_true (companion_store_ledger_post (f->store, p, out, &error));
  g_assert_no_error (error);
  return out->outcome;
}

static CompanionLedgerOutcome
move (Fixture    *f,
      const char *user_id,
      const char *asset,
      gint64      delta,
      gint64      now)
{
  g_auto(CompanionLedgerResult) result = { 0, };
  g_autofree char *key = new_id ();
  CompanionLedgerPosting p = {
    .kind = COMPANION_POSTING_MOVE, .user_id = user_id, .asset = asset, .posted_delta = delta,
    .now = now, .type = delta > 0 ? "credit" : "debit",
  };

  return post (f, &p, key, "fp", &result);
}

static void
assert_balance (Fixture    *f,
                const char *user_id,
                const char *asset,
                gint64      now,
                gint64      posted,
                gint64      reserved)
{
  g_autoptr(GError) error = NULL;
  CompanionLedgerBalance balance = { -1, -1 };

  g_assert_true (companion_store_ledger_get_balance (f->store, user_id, asset, now, &balance,
                                                     &error));
  g_assert_no_error (error);
  g_assert_cmpint (balance.posted, ==, posted);
  g_assert_cmpint (balance.reserved, ==, reserved);
}

static void
test_users_by_id_and_role (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *id = add_ledger_user (f);
  g_autofree char *subject = g_strconcat ("ed25519:", id, NULL);
  g_autoptr(CompanionUser) user = NULL;
  g_autoptr(CompanionUser) again = NULL;
  g_autoptr(GError) error = NULL;

  user = companion_store_get_user_by_id (f->store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->subject, ==, subject);
  g_assert_cmpint (user->role, ==, COMPANION_ROLE_USER);

  g_assert_true (companion_store_set_user_role (f->store, subject, COMPANION_ROLE_ADMIN, &error));
  g_assert_no_error (error);
  again = companion_store_get_user_by_id (f->store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (again->role, ==, COMPANION_ROLE_ADMIN);

  g_assert_false (companion_store_set_user_role (f->store, "ed25519:nobody", COMPANION_ROLE_ADMIN,
                                                 &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (companion_store_get_user_by_id (f->store, "no-such-id", &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
}

/* Moves change posted; entries carry the balances after them, newest
 * first, pages by seq, per asset. */
static void
test_ledger_moves_and_entries (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *user = add_ledger_user (f);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GPtrArray) coins = NULL;
  g_autoptr(GError) error = NULL;
  CompanionLedgerEntry *e;

  assert_balance (f, user, "coin", T0, 0, 0);
  g_assert_cmpint (move (f, user, "coin", 100, T0), ==, COMPANION_LEDGER_APPLIED);
  g_assert_cmpint (move (f, user, "eur", 7, T0 + 1), ==, COMPANION_LEDGER_APPLIED);
  g_assert_cmpint (move (f, user, "coin", -30, T0 + 2), ==, COMPANION_LEDGER_APPLIED);
  g_assert_cmpint (move (f, user, "coin", -71, T0 + 3), ==, COMPANION_LEDGER_BELOW_ZERO);
  assert_balance (f, user, "coin", T0, 70, 0);
  assert_balance (f, user, "eur", T0, 7, 0);

  all = companion_store_ledger_list_entries (f->store, user, NULL, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 3);
  e = g_ptr_array_index (all, 0);
  g_assert_cmpstr (e->type, ==, "debit");
  g_assert_cmpint (e->amount, ==, 30);
  g_assert_cmpint (e->posted_delta, ==, -30);
  g_assert_cmpint (e->posted, ==, 70);
  g_assert_cmpint (e->reserved, ==, 0);
  g_assert_cmpint (e->created_at, ==, T0 + 2);
  g_assert_cmpint (e->seq, >, ((CompanionLedgerEntry *) g_ptr_array_index (all, 1))->seq);

  page = companion_store_ledger_list_entries (f->store, user, NULL, e->seq, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpstr (((CompanionLedgerEntry *) g_ptr_array_index (page, 0))->asset, ==, "eur");

  coins = companion_store_ledger_list_entries (f->store, user, "coin", 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (coins->len, ==, 2);
  g_assert_cmpint (((CompanionLedgerEntry *) g_ptr_array_index (coins, 1))->posted, ==, 100);
}

/* A key replays its stored answer, conflicts with another fingerprint, and
 * is consumed only by a posting that applied. */
static void
test_ledger_idempotency (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *user = add_ledger_user (f);
  g_autofree char *key = new_id ();
  g_auto(CompanionLedgerResult) first = { 0, };
  g_auto(CompanionLedgerResult) second = { 0, };
  g_auto(CompanionLedgerResult) other = { 0, };
  g_auto(CompanionLedgerResult) refused = { 0, };
  g_auto(CompanionLedgerResult) retried = { 0, };
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  CompanionLedgerPosting debit = {
    .kind = COMPANION_POSTING_MOVE, .user_id = user, .asset = "coin", .posted_delta = -10,
    .now = T0, .type = "debit",
  };
  CompanionLedgerPosting credit = {
    .kind = COMPANION_POSTING_MOVE, .user_id = user, .asset = "coin", .posted_delta = 25,
    .now = T0, .type = "credit",
  };
  g_autofree char *credit_key = new_id ();

  /* Refused: nothing stored, the key stays free. */
  g_assert_cmpint (post (f, &debit, key, "debit-10", &refused), ==, COMPANION_LEDGER_BELOW_ZERO);
  g_assert_null (refused.body);

  g_assert_cmpint (post (f, &credit, credit_key, "credit-25", &first), ==,
                   COMPANION_LEDGER_APPLIED);
  g_assert_cmpuint (first.status, ==, 200);
  g_assert_nonnull (first.body);
  credit.now = T0 + 1000;
  g_assert_cmpint (post (f, &credit, credit_key, "credit-25", &second), ==,
                   COMPANION_LEDGER_REPLAYED);
  g_assert_cmpuint (second.status, ==, 200);
  g_assert_cmpstr (second.body, ==, first.body);
  g_assert_null (second.entry);
  g_assert_cmpint (post (f, &credit, credit_key, "credit-26", &other), ==,
                   COMPANION_LEDGER_KEY_CONFLICT);

  g_assert_cmpint (post (f, &debit, key, "debit-10", &retried), ==, COMPANION_LEDGER_APPLIED);
  assert_balance (f, user, "coin", T0, 15, 0);
  entries = companion_store_ledger_list_entries (f->store, user, NULL, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 2);
}

static gint64
hold (Fixture     *f,
      const char  *user,
      gint64       amount,
      gint64       expires_at,
      char       **out_hold_id)
{
  g_auto(CompanionLedgerResult) result = { 0, };
  g_autofree char *key = new_id ();
  CompanionLedgerPosting p = {
    .kind = COMPANION_POSTING_HOLD, .user_id = user, .asset = "coin", .amount = amount,
    .expires_at = expires_at, .now = T0, .type = "reserve",
  };

  *out_hold_id = new_id ();
  p.hold_id = *out_hold_id;
  return post (f, &p, key, "hold", &result);
}

static CompanionLedgerOutcome
resolve (Fixture             *f,
         const char          *hold_id,
         CompanionPostingKind kind,
         gint64               capture,
         gint64               now,
         CompanionLedgerResult *out)
{
  CompanionLedgerPosting p = {
    .kind = kind, .hold_id = hold_id, .capture = capture, .now = now,
    .hold_status = capture != 0 ? COMPANION_HOLD_CAPTURED : COMPANION_HOLD_RELEASED,
    .type = capture != 0 ? "capture" : "release",
  };

  return post (f, &p, NULL, NULL, out);
}

/* A hold reserves; a partial capture posts what it takes and releases the
 * rest in one entry; a hold resolves once. */
static void
test_ledger_holds (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *user = add_ledger_user (f);
  g_autofree char *h1 = NULL;
  g_autofree char *h2 = NULL;
  g_auto(CompanionLedgerResult) captured = { 0, };
  g_auto(CompanionLedgerResult) again = { 0, };
  g_auto(CompanionLedgerResult) too_much = { 0, };
  g_auto(CompanionLedgerResult) released = { 0, };
  g_auto(CompanionLedgerResult) none = { 0, };
  g_autoptr(CompanionLedgerHold) stored = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (move (f, user, "coin", 100, T0), ==, COMPANION_LEDGER_APPLIED);
  g_assert_cmpint (hold (f, user, 50, T0 + 60000, &h1), ==, COMPANION_LEDGER_APPLIED);
  g_assert_cmpint (hold (f, user, 51, T0 + 60000, &h2), ==, COMPANION_LEDGER_BELOW_ZERO);
  g_clear_pointer (&h2, g_free);
  g_assert_cmpint (hold (f, user, 30, T0 + 60000, &h2), ==, COMPANION_LEDGER_APPLIED);
  assert_balance (f, user, "coin", T0, 100, 80);
  g_assert_cmpint (move (f, user, "coin", -21, T0), ==, COMPANION_LEDGER_BELOW_ZERO);

  g_assert_cmpint (resolve (f, h1, COMPANION_POSTING_RESOLVE, 51, T0, &too_much), ==,
                   COMPANION_LEDGER_CAPTURE_TOO_LARGE);
  g_assert_cmpint (resolve (f, h1, COMPANION_POSTING_RESOLVE, 20, T0, &captured), ==,
                   COMPANION_LEDGER_APPLIED);
  g_assert_cmpint (captured.entry->amount, ==, 20);
  g_assert_cmpint (captured.entry->posted_delta, ==, -20);
  g_assert_cmpint (captured.entry->reserved_delta, ==, -50);
  g_assert_cmpstr (captured.entry->hold_id, ==, h1);
  g_assert_cmpint (captured.hold->status, ==, COMPANION_HOLD_CAPTURED);
  g_assert_cmpint (captured.hold->captured_amount, ==, 20);
  g_assert_cmpint (captured.hold->released_amount, ==, 30);
  g_assert_cmpint (captured.balance.posted, ==, 80);
  g_assert_cmpint (captured.balance.reserved, ==, 30);
  g_assert_cmpint (resolve (f, h1, COMPANION_POSTING_RESOLVE, 0, T0, &again), ==,
                   COMPANION_LEDGER_HOLD_NOT_HELD);

  g_assert_cmpint (resolve (f, h2, COMPANION_POSTING_RESOLVE, 0, T0, &released), ==,
                   COMPANION_LEDGER_APPLIED);
  g_assert_cmpint (released.entry->amount, ==, 30);
  g_assert_cmpint (released.entry->posted_delta, ==, 0);
  g_assert_cmpint (released.hold->released_amount, ==, 30);
  g_assert_cmpint (released.hold->captured_amount, ==, -1);
  assert_balance (f, user, "coin", T0, 80, 0);

  stored = companion_store_ledger_get_hold (f->store, h1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (stored->status, ==, COMPANION_HOLD_CAPTURED);
  g_assert_cmpint (stored->captured_amount, ==, 20);
  g_assert_cmpint (resolve (f, "no-such-hold", COMPANION_POSTING_RESOLVE, 0, T0, &none), ==,
                   COMPANION_LEDGER_NO_HOLD);
  g_assert_null (companion_store_ledger_get_hold (f->store, "no-such-hold", &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
}

/* A hold past its expiry stops counting at once, cannot be resolved, and
 * is released once by an EXPIRE. */
static void
test_ledger_hold_expiry (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *user = add_ledger_user (f);
  g_autofree char *h = NULL;
  g_auto(CompanionLedgerResult) early = { 0, };
  g_auto(CompanionLedgerResult) late = { 0, };
  g_auto(CompanionLedgerResult) expired = { 0, };
  g_auto(CompanionLedgerResult) twice = { 0, };
  g_autoptr(GPtrArray) due = NULL;
  g_autoptr(GError) error = NULL;
  gint64 at = T0 + 1000;

  g_assert_cmpint (move (f, user, "coin", 10, T0), ==, COMPANION_LEDGER_APPLIED);
  g_assert_cmpint (hold (f, user, 10, at, &h), ==, COMPANION_LEDGER_APPLIED);
  assert_balance (f, user, "coin", at - 1, 10, 10);
  assert_balance (f, user, "coin", at, 10, 0);
  /* The balance check sees it gone too. */
  g_assert_cmpint (move (f, user, "coin", -10, at), ==, COMPANION_LEDGER_APPLIED);

  g_assert_cmpint (resolve (f, h, COMPANION_POSTING_EXPIRE, 0, at - 1, &early), ==,
                   COMPANION_LEDGER_HOLD_LIVE);
  g_assert_cmpint (resolve (f, h, COMPANION_POSTING_RESOLVE, 0, at, &late), ==,
                   COMPANION_LEDGER_HOLD_EXPIRED);

  g_assert_cmpint (companion_store_ledger_next_hold_expiry (f->store, &error), <=, at);
  due = companion_store_ledger_list_due_holds (f->store, at, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (due->len, >=, 1);

  g_assert_cmpint (resolve (f, h, COMPANION_POSTING_EXPIRE, 0, at, &expired), ==,
                   COMPANION_LEDGER_APPLIED);
  g_assert_cmpint (expired.entry->reserved_delta, ==, -10);
  g_assert_cmpint (expired.entry->posted, ==, 0);
  g_assert_cmpint (expired.entry->reserved, ==, 0);
  g_assert_cmpint (expired.hold->status, ==, COMPANION_HOLD_EXPIRED);
  assert_balance (f, user, "coin", at, 0, 0);
  g_assert_cmpint (resolve (f, h, COMPANION_POSTING_EXPIRE, 0, at, &twice), ==,
                   COMPANION_LEDGER_HOLD_NOT_HELD);
  companion_ledger_result_clear (&twice);
  g_assert_cmpint (resolve (f, h, COMPANION_POSTING_RESOLVE, 0, at, &twice), ==,
                   COMPANION_LEDGER_HOLD_EXPIRED);
}

/* The limits: 2^53 - 1, an adjust below zero, an unknown user. */
static void
test_ledger_limits (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *user = add_ledger_user (f);

  g_assert_cmpint (move (f, user, "coin", COMPANION_LEDGER_MAX_AMOUNT, T0), ==,
                   COMPANION_LEDGER_APPLIED);
  g_assert_cmpint (move (f, user, "coin", 1, T0), ==, COMPANION_LEDGER_ABOVE_LIMIT);
  g_assert_cmpint (move (f, user, "coin", -COMPANION_LEDGER_MAX_AMOUNT, T0), ==,
                   COMPANION_LEDGER_APPLIED);
  g_assert_cmpint (move (f, user, "coin", -1, T0), ==, COMPANION_LEDGER_BELOW_ZERO);
  g_assert_cmpint (move (f, "no-such-user", "coin", 1, T0), ==, COMPANION_LEDGER_NO_USER);
  assert_balance (f, user, "coin", T0, 0, 0);
}

typedef struct {
  const char *uri;
  const char *user;
  const char *key;        /* NULL: a key of its own */
  guint       applied;
  guint       replayed;
  guint       refused;
  GError     *error;
} Spender;

static gpointer
spend (gpointer data)
{
  Spender *s = data;
  g_autoptr(CompanionStore) store = companion_store_open (s->uri, &s->error);

  for (guint i = 0; store != NULL && i < 10; i++)
    {
      g_auto(CompanionLedgerResult) result = { 0, };
      g_autofree char *entry_id = new_id ();
      g_autofree char *own_key = new_id ();
      CompanionLedgerPosting p = {
        .kind = COMPANION_POSTING_MOVE, .user_id = s->user, .asset = "coin", .posted_delta = -1,
        .now = T0, .type = "debit", .reason = "race", .entry_id = entry_id,
        .idempotency_key = s->key != NULL ? s->key : own_key, .fingerprint = "debit-1",
        .respond = respond_with_seq,
      };

      if (!companion_store_ledger_post (store, &p, &result, &s->error))
        {
          /* Another connection held the write lock past the busy timeout:
           * a retry, as a client would. */
          if (g_error_matches (s->error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE))
            {
              g_clear_error (&s->error);
              i--;
              continue;
            }
          return NULL;
        }
      if (result.outcome == COMPANION_LEDGER_APPLIED)
        s->applied++;
      else if (result.outcome == COMPANION_LEDGER_REPLAYED)
        s->replayed++;
      else if (result.outcome == COMPANION_LEDGER_BELOW_ZERO)
        s->refused++;
    }
  return NULL;
}

/* Spenders on their own connections: exactly the balance is spent, never
 * more; a key two of them share applies at most once, and every use after
 * that replays. */
static void
test_ledger_race_no_overdraft (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *user = add_ledger_user (f);
  g_autofree char *shared = new_id ();
  Spender spenders[N_RACERS] = { { 0, }, };
  GThread *threads[N_RACERS];
  guint applied = 0, replayed = 0, refused = 0;
  guint shared_applied = 0, shared_refused = 0;

  g_assert_cmpint (move (f, user, "coin", 37, T0), ==, COMPANION_LEDGER_APPLIED);
  for (guint i = 0; i < N_RACERS; i++)
    {
      spenders[i].uri = f->uri;
      spenders[i].user = user;
      /* Two of them spend with one key, ten times each. */
      spenders[i].key = i < 2 ? shared : NULL;
      threads[i] = g_thread_new ("spender", spend, &spenders[i]);
    }
  for (guint i = 0; i < N_RACERS; i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (spenders[i].error);
      applied += spenders[i].applied;
      replayed += spenders[i].replayed;
      refused += spenders[i].refused;
      if (spenders[i].key != NULL)
        {
          shared_applied += spenders[i].applied;
          shared_refused += spenders[i].refused;
        }
    }

  g_assert_cmpuint (applied, ==, 37);
  g_assert_cmpuint (shared_applied, <=, 1);
  /* Once the key applied, every other use of it replays. */
  g_assert_cmpuint (replayed, ==, shared_applied ? 20 - shared_refused - 1 : 0);
  g_assert_cmpuint (applied + replayed + refused, ==, N_RACERS * 10);
  assert_balance (f, user, "coin", T0, 0, 0);
}

/* ---- issue 12: holds attached to an order -------------------------------- */

/* A hold of @amount until @expires_at attached to a new transaction order
 * (inserted in the same posting); returns the order. */
static CompanionOrder *
order_hold (Fixture     *f,
            const char  *user,
            gint64       amount,
            gint64       expires_at,
            char       **out_hold_id)
{
  g_auto(CompanionLedgerResult) result = { 0, };
  g_autofree char *key = new_id ();
  CompanionOrder *order = make_order (CROSSING_STATUS_CREATED, 1800000000000);
  g_autoptr(CompanionOrder) stored = NULL;
  g_autoptr(GError) error = NULL;
  CompanionLedgerPosting p = {
    .kind = COMPANION_POSTING_HOLD, .user_id = user, .asset = "coin", .amount = amount,
    .expires_at = expires_at, .now = T0, .type = "reserve", .order = order,
  };

  order->kind = CROSSING_KIND_TRANSACTION;
  order->approved_extra = g_strdup ("{\"reservation\":{\"status\":\"captured\"}}");
  *out_hold_id = new_id ();
  p.hold_id = *out_hold_id;
  g_assert_cmpint (post (f, &p, key, "hold", &result), ==, COMPANION_LEDGER_APPLIED);
  g_assert_cmpstr (result.hold->order_id, ==, order->id);
  g_assert_cmpint (status_of (f, order->id), ==, CROSSING_STATUS_CREATED);
  stored = companion_store_get_order (f->store, order->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored->approved_extra, ==, order->approved_extra);
  return order;
}

static gboolean
move_order (Fixture         *f,
            const char      *order_id,
            CrossingStatus   to,
            GError         **error)
{
  CompanionOrderChange change = { .to = to };
  guint live = COMPANION_STATUS_BIT (CROSSING_STATUS_CREATED) |
               COMPANION_STATUS_BIT (CROSSING_STATUS_CLAIMED) |
               COMPANION_STATUS_BIT (CROSSING_STATUS_WAITING_USER);

  if (to == CROSSING_STATUS_EXPIRED)
    live |= COMPANION_STATUS_BIT (CROSSING_STATUS_APPROVED);
  return companion_store_transition (f->store, order_id, live, &change, "{}", NULL, error);
}

static CompanionLedgerHold *
get_hold (Fixture    *f,
          const char *hold_id)
{
  g_autoptr(GError) error = NULL;
  CompanionLedgerHold *h = companion_store_ledger_get_hold (f->store, hold_id, &error);

  g_assert_no_error (error);
  return h;
}

static GPtrArray *
entries_of (Fixture    *f,
            const char *user)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *entries = companion_store_ledger_list_entries (f->store, user, NULL, 0, 100, &error);

  g_assert_no_error (error);
  return entries;
}

/* The approval captures the whole hold in its own transaction (a capture
 * entry with the order id); a capture by hand waits for it; an approved
 * order that expires later leaves the capture alone. */
static void
test_order_hold_approve_captures (Fixture       *f,
                                  gconstpointer  data)
{
  g_autofree char *user = add_ledger_user (f);
  g_autofree char *h = NULL;
  g_autoptr(CompanionOrder) order = NULL;
  g_autoptr(CompanionLedgerHold) after = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_auto(CompanionLedgerResult) by_hand = { 0, };
  g_autoptr(GError) error = NULL;
  CompanionLedgerEntry *e;

  g_assert_cmpint (move (f, user, "coin", 100, T0), ==, COMPANION_LEDGER_APPLIED);
  order = order_hold (f, user, 40, T0 + 600000, &h);
  assert_balance (f, user, "coin", T0, 100, 40);

  g_assert_cmpint (resolve (f, h, COMPANION_POSTING_RESOLVE, -1, T0, &by_hand), ==,
                   COMPANION_LEDGER_HOLD_AWAITING_APPROVAL);
  companion_ledger_result_clear (&by_hand);
  g_assert_cmpint (resolve (f, h, COMPANION_POSTING_RESOLVE, 10, T0, &by_hand), ==,
                   COMPANION_LEDGER_HOLD_AWAITING_APPROVAL);

  g_assert_true (move_order (f, order->id, CROSSING_STATUS_CLAIMED, &error));
  g_assert_no_error (error);
  g_assert_true (move_order (f, order->id, CROSSING_STATUS_APPROVED, &error));
  g_assert_no_error (error);

  after = get_hold (f, h);
  g_assert_cmpint (after->status, ==, COMPANION_HOLD_CAPTURED);
  g_assert_cmpint (after->captured_amount, ==, 40);
  g_assert_cmpint (after->released_amount, ==, 0);
  assert_balance (f, user, "coin", T0, 60, 0);
  entries = entries_of (f, user);
  g_assert_cmpuint (entries->len, ==, 3);
  e = g_ptr_array_index (entries, 0);
  g_assert_cmpstr (e->type, ==, "capture");
  g_assert_cmpint (e->amount, ==, 40);
  g_assert_cmpint (e->posted_delta, ==, -40);
  g_assert_cmpint (e->reserved_delta, ==, -40);
  g_assert_cmpstr (e->hold_id, ==, h);
  g_assert_cmpstr (e->order_id, ==, order->id);

  /* The grace runs out without a finalize: the capture stands. */
  g_assert_true (move_order (f, order->id, CROSSING_STATUS_EXPIRED, &error));
  g_assert_no_error (error);
  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = entries_of (f, user);
  g_assert_cmpuint (entries->len, ==, 3);
  assert_balance (f, user, "coin", T0, 60, 0);
}

/* Reject, cancel and expiry each release the hold once, with their reason;
 * a hold already past its own expiry is expired with the order's reason. */
static void
test_order_hold_end_releases (Fixture       *f,
                              gconstpointer  data)
{
  static const struct {
    CrossingStatus to;
    const char    *reason;
  } ends[] = {
    { CROSSING_STATUS_REJECTED, "order_rejected" },
    { CROSSING_STATUS_CANCELLED, "order_cancelled" },
    { CROSSING_STATUS_EXPIRED, "order_expired" },
  };
  g_autofree char *user = add_ledger_user (f);
  gint64 past = crossing_now_ms () - 1;

  g_assert_cmpint (move (f, user, "coin", 100, T0), ==, COMPANION_LEDGER_APPLIED);
  for (guint i = 0; i < G_N_ELEMENTS (ends) * 2; i++)
    {
      gboolean lapsed = i >= G_N_ELEMENTS (ends);
      g_autofree char *h = NULL;
      g_autoptr(CompanionOrder) order = NULL;
      g_autoptr(CompanionLedgerHold) after = NULL;
      g_autoptr(GPtrArray) before = entries_of (f, user);
      g_autoptr(GPtrArray) entries = NULL;
      g_autoptr(GError) error = NULL;
      CompanionLedgerEntry *e;

      order = order_hold (f, user, 25, lapsed ? past : T0 + 600000, &h);
      g_assert_true (move_order (f, order->id, ends[i % G_N_ELEMENTS (ends)].to, &error));
      g_assert_no_error (error);

      after = get_hold (f, h);
      g_assert_cmpint (after->status, ==, lapsed ? COMPANION_HOLD_EXPIRED
                       : COMPANION_HOLD_RELEASED);
      g_assert_cmpint (after->released_amount, ==, 25);
      g_assert_cmpint (after->captured_amount, ==, -1);
      entries = entries_of (f, user);
      /* the reserve and the release */
      g_assert_cmpuint (entries->len, ==, before->len + 2);
      e = g_ptr_array_index (entries, 0);
      g_assert_cmpstr (e->type, ==, "release");
      g_assert_cmpstr (e->reason, ==, ends[i % G_N_ELEMENTS (ends)].reason);
      g_assert_cmpstr (e->order_id, ==, order->id);
      g_assert_cmpint (e->posted_delta, ==, 0);
      g_assert_cmpint (e->reserved_delta, ==, -25);
      assert_balance (f, user, "coin", T0, 100, 0);

      /* A terminal order does not move again, and nothing is released twice. */
      g_assert_false (move_order (f, order->id, CROSSING_STATUS_CANCELLED, &error));
      g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
      g_clear_pointer (&entries, g_ptr_array_unref);
      entries = entries_of (f, user);
      g_assert_cmpuint (entries->len, ==, before->len + 2);
    }
}

/* An approval whose hold cannot be captured fails and writes nothing: the
 * order stays where it was, without an event. */
static void
test_order_hold_approve_fails_cleanly (Fixture       *f,
                                       gconstpointer  data)
{
  g_autofree char *user = add_ledger_user (f);
  g_autofree char *h = NULL;
  g_autofree char *h2 = NULL;
  g_autoptr(CompanionOrder) order = NULL;
  g_autoptr(CompanionOrder) order2 = NULL;
  g_autoptr(CompanionLedgerHold) after = NULL;
  g_auto(CompanionLedgerResult) expired = { 0, };
  g_autoptr(GError) error = NULL;
  gint64 past = crossing_now_ms () - 1;

  g_assert_cmpint (move (f, user, "coin", 100, T0), ==, COMPANION_LEDGER_APPLIED);

  /* Held, but past its expiry. */
  order = order_hold (f, user, 30, past, &h);
  g_assert_true (move_order (f, order->id, CROSSING_STATUS_CLAIMED, &error));
  g_assert_false (move_order (f, order->id, CROSSING_STATUS_APPROVED, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_HOLD_EXPIRED);
  g_clear_error (&error);
  g_assert_cmpint (status_of (f, order->id), ==, CROSSING_STATUS_CLAIMED);
  g_assert_cmpuint (n_events (f, order->id), ==, 1);
  after = get_hold (f, h);
  g_assert_cmpint (after->status, ==, COMPANION_HOLD_HELD);

  /* Expired by the hold timer. */
  order2 = order_hold (f, user, 30, past, &h2);
  g_assert_cmpint (resolve (f, h2, COMPANION_POSTING_EXPIRE, 0, past, &expired), ==,
                   COMPANION_LEDGER_APPLIED);
  g_assert_false (move_order (f, order2->id, CROSSING_STATUS_APPROVED, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_HOLD_EXPIRED);
  g_assert_cmpint (status_of (f, order2->id), ==, CROSSING_STATUS_CREATED);
  g_assert_cmpuint (n_events (f, order2->id), ==, 0);
}

/* Releasing the hold by hand cancels its order in the same transaction
 * (one event, announced once), and the order's cancel releases nothing
 * more; an order that cannot be inserted leaves no hold. */
static void
test_order_hold_release_cancels (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree char *user = add_ledger_user (f);
  g_autofree char *h = NULL;
  g_autofree char *h2 = NULL;
  g_autofree char *entry_id = new_id ();
  g_autofree char *key = new_id ();
  g_autoptr(CompanionOrder) order = NULL;
  g_autoptr(CompanionLedgerHold) after = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(CompanionLedgerResult) released = { 0, };
  g_auto(CompanionLedgerResult) dup = { 0, };
  Committed committed = { 0, };
  CompanionLedgerPosting release = {
    .kind = COMPANION_POSTING_RESOLVE, .capture = 0, .hold_status = COMPANION_HOLD_RELEASED,
    .now = T0, .type = "release", .reason = "changed my mind",
    .order_event_data = "{\"status\":\"cancelled\"}",
  };
  CompanionLedgerPosting again = {
    .kind = COMPANION_POSTING_HOLD, .user_id = user, .asset = "coin", .amount = 5,
    .expires_at = T0 + 600000, .now = T0, .type = "reserve", .reason = "dup",
    .entry_id = entry_id, .idempotency_key = key, .fingerprint = "dup", .respond = respond_with_seq,
  };
  gulong id;

  g_assert_cmpint (move (f, user, "coin", 100, T0), ==, COMPANION_LEDGER_APPLIED);
  order = order_hold (f, user, 40, T0 + 600000, &h);
  g_assert_true (move_order (f, order->id, CROSSING_STATUS_CLAIMED, &error));
  g_assert_no_error (error);

  id = g_signal_connect (f->store, "event-committed", G_CALLBACK (on_committed), &committed);
  release.hold_id = h;
  g_assert_cmpint (post (f, &release, NULL, NULL, &released), ==, COMPANION_LEDGER_APPLIED);
  g_signal_handler_disconnect (f->store, id);
  g_assert_cmpstr (released.cancelled_order_id, ==, order->id);
  g_assert_cmpint (released.cancelled_order_seq, ==, 2);
  g_assert_cmpuint (committed.n, ==, 1);
  g_assert_cmpstr (committed.order_id, ==, order->id);
  g_assert_cmpint (committed.status, ==, CROSSING_STATUS_CANCELLED);
  g_assert_cmpstr (committed.data, ==, "{\"status\":\"cancelled\"}");
  committed_clear (&committed);
  g_assert_cmpint (status_of (f, order->id), ==, CROSSING_STATUS_CANCELLED);
  g_assert_cmpuint (n_events (f, order->id), ==, 2);

  after = get_hold (f, h);
  g_assert_cmpint (after->status, ==, COMPANION_HOLD_RELEASED);
  entries = entries_of (f, user);
  /* credit, reserve, one release with the caller's reason */
  g_assert_cmpuint (entries->len, ==, 3);
  g_assert_cmpstr (((CompanionLedgerEntry *) g_ptr_array_index (entries, 0))->reason, ==,
                   "changed my mind");
  assert_balance (f, user, "coin", T0, 100, 0);

  /* The order exists already: the hold is not created either. */
  h2 = new_id ();
  again.hold_id = h2;
  again.order = order;
  g_assert_false (companion_store_ledger_post (f->store, &again, &dup, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_null (companion_store_ledger_get_hold (f->store, h2, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = entries_of (f, user);
  g_assert_cmpuint (entries->len, ==, 3);
  assert_balance (f, user, "coin", T0, 100, 0);
}

#define N_APPROVERS 20

typedef struct {
  const char     *uri;
  const char     *order_id;
  CrossingStatus  to;
  gboolean        won;
  GError         *error;
} Settler;

static gpointer
settle (gpointer data)
{
  Settler *r = data;
  g_autoptr(CompanionStore) store = companion_store_open (r->uri, &r->error);
  CompanionOrderChange change = { .to = r->to };

  if (store == NULL)
    return NULL;
  for (;;)
    {
      r->won = companion_store_transition (store, r->order_id,
                                           COMPANION_STATUS_BIT (CROSSING_STATUS_WAITING_USER),
                                           &change, "{}", NULL, &r->error);
      /* Another connection held the write lock past the busy timeout. */
      if (r->won ||
          !g_error_matches (r->error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE))
        return NULL;
      g_clear_error (&r->error);
    }
}

/* Racers on their own connections settle one order: 20 approvals capture
 * once; approvals mixed with rejections, cancellations and expiries resolve
 * the hold once, as the one winner says. */
static void
test_order_hold_races (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *user = add_ledger_user (f);

  g_assert_cmpint (move (f, user, "coin", 1000, T0), ==, COMPANION_LEDGER_APPLIED);
  for (guint round = 0; round < 2; round++)
    {
      static const CrossingStatus mixed[] = {
        CROSSING_STATUS_APPROVED, CROSSING_STATUS_REJECTED, CROSSING_STATUS_CANCELLED,
        CROSSING_STATUS_EXPIRED,
      };
      g_autofree char *h = NULL;
      g_autoptr(CompanionOrder) order = NULL;
      g_autoptr(CompanionLedgerHold) after = NULL;
      g_autoptr(GPtrArray) before = entries_of (f, user);
      g_autoptr(GPtrArray) entries = NULL;
      g_autoptr(GError) error = NULL;
      Settler racers[N_APPROVERS] = { { 0, }, };
      GThread *threads[N_APPROVERS];
      CrossingStatus winner = CROSSING_STATUS_INVALID;
      guint wins = 0;

      order = order_hold (f, user, 100, T0 + 600000, &h);
      g_assert_true (move_order (f, order->id, CROSSING_STATUS_WAITING_USER, &error));
      g_assert_no_error (error);
      for (guint i = 0; i < N_APPROVERS; i++)
        {
          racers[i].uri = f->uri;
          racers[i].order_id = order->id;
          racers[i].to = round == 0 ? CROSSING_STATUS_APPROVED : mixed[i % G_N_ELEMENTS (mixed)];
          threads[i] = g_thread_new ("settler", settle, &racers[i]);
        }
      for (guint i = 0; i < N_APPROVERS; i++)
        {
          g_thread_join (threads[i]);
          if (racers[i].won)
            {
              wins++;
              winner = racers[i].to;
            }
          else
            g_assert_error (racers[i].error, COMPANION_STORE_ERROR,
                            COMPANION_STORE_ERROR_CONFLICT);
          g_clear_error (&racers[i].error);
        }

      g_assert_cmpuint (wins, ==, 1);
      g_assert_cmpuint (n_events (f, order->id), ==, 2);
      after = get_hold (f, h);
      g_assert_cmpint (after->status, ==, winner == CROSSING_STATUS_APPROVED
                       ? COMPANION_HOLD_CAPTURED : COMPANION_HOLD_RELEASED);
      entries = entries_of (f, user);
      g_assert_cmpuint (entries->len, ==, before->len + 2);
      g_assert_cmpstr (((CompanionLedgerEntry *) g_ptr_array_index (entries, 0))->type, ==,
                       winner == CROSSING_STATUS_APPROVED ? "capture" : "release");
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/store/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("orders/insert-get-unique", test_insert_get);
  ADD ("orders/by-challenge-hash-found-not-found-unique", test_get_order_by_challenge_hash);
  ADD ("transition/every-action-from-every-state", test_transition_from_mask);
  ADD ("transition/writes-given-keeps-others", test_transition_fields);
  ADD ("transition/only-if-expires-by", test_transition_only_if_expires_by);
  ADD ("transition/unknown-order-conflicts", test_transition_unknown_order);
  ADD ("check-code/counts-only-claimed-or-waiting", test_check_code_failures);
  ADD ("finalize-login/creates-user-and-session", test_finalize_login_creates);
  ADD ("finalize-login/finds-existing-user", test_finalize_login_existing_user);
  ADD ("finalize-login/closed-registration-changes-nothing",
       test_finalize_login_closed_all_or_nothing);
  ADD ("finalize-login/only-from-approved", test_finalize_login_not_approved);
  ADD ("finalize-login/without-order-creates-user-and-session", test_finalize_login_without_order);
  ADD ("finalize-login/without-order-closed-registration-not-found",
       test_finalize_login_without_order_closed);
  ADD ("events/list-after-seq", test_list_events_after);
  ADD ("expiry/due-next-pending", test_due_orders_next_expiry_pending);
  ADD ("users/add-get-list-remove", test_users);
  ADD ("sessions/lookup-expiry-delete", test_sessions);
  ADD ("nimiq-nonces/consumed-once", test_nimiq_nonce_consumed_once);
  ADD ("nimiq-nonces/expired-not-found-and-deleted", test_nimiq_nonce_expired);
  ADD ("nimiq-nonces/count-live-sweep-expired", test_nimiq_nonce_count_sweep);
  ADD ("races/threads-one-winner", test_race_one_winner);
  ADD ("races/threads-one-nimiq-nonce-winner", test_race_nimiq_nonce_one_winner);
  ADD ("races/sequential-one-winner", test_race_sequential);
  ADD ("signal/event-committed-once-per-commit", test_event_committed);
  ADD ("latency-observer/once-per-call", test_latency_observer);
  ADD ("errors/closed-store-unavailable", test_closed_store_unavailable);
  ADD ("backend-name", test_backend_name);
  /* users by id, roles, the ledger */
  ADD ("users/by-id-and-set-role", test_users_by_id_and_role);
  ADD ("ledger/moves-balances-entries-newest-first", test_ledger_moves_and_entries);
  ADD ("ledger/idempotency-replay-conflict-refused-consumes-nothing", test_ledger_idempotency);
  ADD ("ledger/holds-partial-capture-resolves-once", test_ledger_holds);
  ADD ("ledger/hold-expiry-stops-counting-at-once", test_ledger_hold_expiry);
  ADD ("ledger/limits-max-zero-unknown-user", test_ledger_limits);
  ADD ("ledger/races-threads-no-overdraft-one-key-once", test_ledger_race_no_overdraft);
  g_test_add_func ("/store/open/uris", test_open_uris);
  /* issue 14 */
  ADD ("poll/compare-and-set", test_poll_compare_and_set);
  ADD ("user-codes/live-unique-found-counted", test_user_codes_live_unique);
  ADD ("user-codes/misses-per-scope-and-window", test_user_code_misses);
  ADD ("user-codes/misses-from-threads-each-once", test_user_code_misses_race);
  ADD ("identified/subject-details-kept-mismatches-counted", test_subject_mismatches);
  /* issue 16 */
  ADD ("passkeys/add-once-get-use-compare-and-set", test_passkeys);
  ADD ("webauthn-proofs/put-replace-get", test_webauthn_proofs);
  /* issue 12: holds attached to an order */
  ADD ("order-holds/approve-captures-once", test_order_hold_approve_captures);
  ADD ("order-holds/reject-cancel-expire-release-once", test_order_hold_end_releases);
  ADD ("order-holds/approve-fails-cleanly-without-hold", test_order_hold_approve_fails_cleanly);
  ADD ("order-holds/release-cancels-order-insert-all-or-nothing",
       test_order_hold_release_cancels);
  ADD ("order-holds/races-threads-settle-once", test_order_hold_races);

  return g_test_run ();
}
