/* test-approve-code.c: `crossing-companion approve --code`, the terminal
 * phone, against a real in-process companion
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The command blocks on its own HTTP session and on standard input, so it
 * runs on a thread while the test's thread serves the companion and plays
 * the person at the keyboard through a pipe. Each test runs in a subprocess
 * (its standard input and output are the command's).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "crossing-token.h"

#include "companion-approve.h"
#include "companion-test-utils.h"

#define TIMEOUT_USEC (30 * G_USEC_PER_SEC)

#define NIMIQ_VECTOR_SEED    "682df035c30e8c55bda4ab517213792c2af4b4e9c23ac2cf11bd28b237a6544e"
#define NIMIQ_VECTOR_ADDRESS "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U"

typedef struct {
  CtFixture  f;
  GPtrArray *argv;
  GThread   *thread;
  int        exit_status;
  gint       done;
  int        keyboard;      /* the write end of the command's standard input */
  char      *order_id;
  char      *user_code;
} Phone;

static gpointer
run_command (gpointer data)
{
  Phone *p = data;
  g_autofree char **argv = g_new0 (char *, p->argv->len + 1);

  /* The option parser reorders argv; it must not lose our strings. */
  memcpy (argv, p->argv->pdata, sizeof (char *) * p->argv->len);
  p->exit_status = companion_approve_main ((int) p->argv->len, argv);
  fflush (stdout);
  g_atomic_int_set (&p->done, 1);
  return NULL;
}

/* Starts the companion and an order with a user code (and @extra). */
static void
phone_setup (Phone      *p,
             const char *extra)
{
  g_autoptr(CtResponse) started = NULL;
  int fds[2];

  memset (p, 0, sizeof *p);
  ct_fixture_init (&p->f);
  ct_fixture_start (&p->f);

  started = ct_post_printf (&p->f, "start", "{\"kind\":\"login\",\"userCode\":true%s%s}",
                            extra != NULL ? "," : "", extra != NULL ? extra : "");
  g_assert_cmpuint (started->status, ==, 200);
  p->order_id = g_strdup (ct_json_string (ct_response_object (started), "orderId"));
  p->user_code = g_strdup (ct_json_string (ct_response_object (started), "userCode"));

  /* The keyboard: a pipe in place of standard input. */
  g_assert_no_errno (pipe (fds));
  g_assert_cmpint (dup2 (fds[0], STDIN_FILENO), ==, STDIN_FILENO);
  close (fds[0]);
  p->keyboard = fds[1];

  p->argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (p->argv, g_strdup ("approve"));
  g_ptr_array_add (p->argv, g_strdup ("--key"));
  g_ptr_array_add (p->argv, g_build_filename (p->f.tmp_dir, "device-key", NULL));
}

static void
phone_run (Phone *p)
{
  p->thread = g_thread_new ("terminal-phone", run_command, p);
}

static gboolean
command_done (gpointer data)
{
  Phone *p = data;

  return g_atomic_int_get (&p->done) == 1;
}

static int
phone_finish (Phone *p)
{
  int status;

  /* The companion answers on this thread while the command waits. */
  g_assert_true (ct_wait_until (command_done, p, 20000));
  g_thread_join (p->thread);
  status = p->exit_status;
  close (p->keyboard);
  g_ptr_array_unref (p->argv);
  g_free (p->order_id);
  g_free (p->user_code);
  ct_fixture_finish (&p->f);
  return status;
}

static void
type_line (Phone      *p,
           const char *line)
{
  g_autofree char *text = g_strconcat (line, "\n", NULL);

  g_assert_cmpint (write (p->keyboard, text, strlen (text)), ==, (gssize) strlen (text));
}

static CompanionOrder *
stored (Phone *p)
{
  g_autoptr(GError) error = NULL;
  CompanionOrder *order = companion_store_get_order (ct_fixture_get_store (&p->f), p->order_id,
                                                     &error);

  g_assert_no_error (error);
  return order;
}

typedef struct {
  Phone          *p;
  CrossingStatus  status;
  guint           failures;
} Until;

static gboolean
order_reached (gpointer data)
{
  Until *until = data;
  g_autoptr(CompanionOrder) order = stored (until->p);

  return order->status == until->status && order->check_code_failures == until->failures;
}

static void
wait_for (Phone          *p,
          CrossingStatus  status,
          guint           failures)
{
  Until until = { p, status, failures };

  g_assert_true (ct_wait_until (order_reached, &until, 10000));
}

static char *
wrong_code (const char *right)
{
  return g_strdup (strcmp (right, "10") == 0 ? "11" : "10");
}

/* The check: claimed by code, a wrong check code, then the right
 * one; the context the page shows, here in the terminal. */
static void
test_code_wrong_then_right (void)
{
  if (g_test_subprocess ())
    {
      Phone p;
      g_autoptr(CompanionOrder) claimed = NULL;
      g_autoptr(CompanionOrder) approved = NULL;
      g_autofree char *wrong = NULL;
      g_autofree char *typed = NULL;

      phone_setup (&p, "\"context\":{\"terminal\":\"Till 4\"},\"payloadHash\":\"abc123\"");
      /* Typed as people do, against the page the desktop names. */
      typed = g_ascii_strdown (p.user_code, -1);
      typed[4] = ' ';
      g_ptr_array_add (p.argv, g_strdup ("--code"));
      g_ptr_array_add (p.argv, g_strdup (typed));
      g_ptr_array_add (p.argv, g_strdup ("--server"));
      g_ptr_array_add (p.argv, g_strconcat (p.f.url, "/cross-device/code", NULL));
      phone_run (&p);

      wait_for (&p, CROSSING_STATUS_WAITING_USER, 0);
      claimed = stored (&p);
      wrong = wrong_code (claimed->check_code);
      type_line (&p, wrong);
      type_line (&p, "y");
      wait_for (&p, CROSSING_STATUS_WAITING_USER, 1);
      type_line (&p, claimed->check_code);

      g_assert_cmpint (phone_finish (&p), ==, COMPANION_APPROVE_EXIT_APPROVED);
      return;
    }

  g_test_trap_subprocess (NULL, TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*Crossing asks for your approval*");
  g_test_trap_assert_stdout ("*From:*on this computer (127.0.0.1)*");
  g_test_trap_assert_stdout ("*Details:*terminal: Till 4*");
  g_test_trap_assert_stdout ("*Payload hash:*abc123*");
  g_test_trap_assert_stdout ("*Signing in as:*ed25519:????????????????\n*");
  /* The number first, then the question, then a clear word on the miss. */
  g_test_trap_assert_stdout ("*Enter the number shown on the desktop: *Approve? [y/N] *"
                             "That number does not match the one on the desktop (2 tries left)*"
                             "Enter the number shown on the desktop: *Approved.*");
  g_test_trap_assert_stdout_unmatched ("*Only *can approve*");
  g_test_trap_assert_stderr ("");
}

/* Three wrong numbers: the server rejects, the command says so. */
static void
test_code_three_wrong (void)
{
  if (g_test_subprocess ())
    {
      Phone p;
      g_autoptr(CompanionOrder) claimed = NULL;
      g_autoptr(CompanionOrder) ended = NULL;
      g_autofree char *wrong = NULL;

      phone_setup (&p, NULL);
      g_ptr_array_add (p.argv, g_strdup ("--yes"));
      g_ptr_array_add (p.argv, g_strdup ("--code"));
      g_ptr_array_add (p.argv, g_strdup (p.user_code));
      g_ptr_array_add (p.argv, g_strdup ("--server"));
      g_ptr_array_add (p.argv, g_strdup (p.f.url));
      phone_run (&p);

      wait_for (&p, CROSSING_STATUS_WAITING_USER, 0);
      claimed = stored (&p);
      wrong = wrong_code (claimed->check_code);
      type_line (&p, wrong);
      type_line (&p, wrong);
      type_line (&p, wrong);
      wait_for (&p, CROSSING_STATUS_REJECTED, 3);

      g_assert_cmpint (phone_finish (&p), ==, COMPANION_APPROVE_EXIT_ERROR);
      return;
    }

  g_test_trap_subprocess (NULL, TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*(2 tries left)*(1 try left)*");
  g_test_trap_assert_stderr ("*does not match the one on the desktop either*start again*");
}

/* An identified order names its signer; another key is refused here, before
 * the server would count it. */
static void
test_identified_other_key (void)
{
  if (g_test_subprocess ())
    {
      Phone p;
      g_autoptr(CompanionOrder) order = NULL;

      phone_setup (&p, "\"subject\":\"" NIMIQ_VECTOR_ADDRESS "\"");
      g_ptr_array_add (p.argv, g_strdup ("--yes"));
      g_ptr_array_add (p.argv, g_strdup ("--code"));
      g_ptr_array_add (p.argv, g_strdup (p.user_code));
      g_ptr_array_add (p.argv, g_strdup ("--server"));
      g_ptr_array_add (p.argv, g_strdup (p.f.url));
      phone_run (&p);
      g_assert_true (ct_wait_until (command_done, &p, 20000));
      order = stored (&p);
      g_assert_cmpint (order->status, ==, CROSSING_STATUS_WAITING_USER);
      g_assert_cmpuint (order->subject_mismatches, ==, 0);
      g_assert_cmpint (phone_finish (&p), ==, COMPANION_APPROVE_EXIT_ERROR);
      return;
    }

  g_test_trap_subprocess (NULL, TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*Signer:*Only " NIMIQ_VECTOR_ADDRESS " can approve*");
  g_test_trap_assert_stderr ("*Only " NIMIQ_VECTOR_ADDRESS " can approve this request, and this "
                             "device signs as NQ*");
}

/* ...and the named key approves. */
static void
test_identified_right_key (void)
{
  if (g_test_subprocess ())
    {
      Phone p;
      g_autoptr(CompanionOrder) claimed = NULL;
      g_autoptr(CompanionOrder) approved = NULL;
      const char *key_path;

      phone_setup (&p, "\"subject\":\"" NIMIQ_VECTOR_ADDRESS "\"");
      key_path = g_ptr_array_index (p.argv, 2);
      g_assert_true (g_file_set_contents_full (key_path, NIMIQ_VECTOR_SEED "\n", -1,
                                               G_FILE_SET_CONTENTS_NONE, 0600, NULL));
      g_ptr_array_add (p.argv, g_strdup ("--yes"));
      g_ptr_array_add (p.argv, g_strdup ("--code"));
      g_ptr_array_add (p.argv, g_strdup (p.user_code));
      g_ptr_array_add (p.argv, g_strdup ("--server"));
      g_ptr_array_add (p.argv, g_strdup (p.f.url));
      phone_run (&p);

      wait_for (&p, CROSSING_STATUS_WAITING_USER, 0);
      claimed = stored (&p);
      type_line (&p, claimed->check_code);
      wait_for (&p, CROSSING_STATUS_APPROVED, 0);
      approved = stored (&p);
      g_assert_cmpstr (approved->subject, ==, NIMIQ_VECTOR_ADDRESS);
      g_assert_cmpint (phone_finish (&p), ==, COMPANION_APPROVE_EXIT_APPROVED);
      return;
    }

  g_test_trap_subprocess (NULL, TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*Signer:*Only " NIMIQ_VECTOR_ADDRESS " can approve*");
  g_test_trap_assert_stdout ("*Signing in as:*" NIMIQ_VECTOR_ADDRESS "*Approved.*");
}

static void
test_unknown_code (void)
{
  if (g_test_subprocess ())
    {
      Phone p;

      phone_setup (&p, NULL);
      g_ptr_array_add (p.argv, g_strdup ("--code"));
      g_ptr_array_add (p.argv, g_strdup ("BBBB-BBBB"));
      g_ptr_array_add (p.argv, g_strdup ("--server"));
      g_ptr_array_add (p.argv, g_strdup (p.f.url));
      phone_run (&p);
      g_assert_cmpint (phone_finish (&p), ==, COMPANION_APPROVE_EXIT_ERROR);
      return;
    }

  g_test_trap_subprocess (NULL, TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*That code is not valid*");
  g_test_trap_assert_stdout_unmatched ("*BBBB*");
}

static void
test_usage (void)
{
  const char *cases[][6] = {
    { "approve", "--code", "WDJB-MJHT", NULL },
    { "approve", "--server", "http://127.0.0.1:1", NULL },
    { "approve", "--code", "WDJB-MJHT", "--server", "ftp://example.org", NULL },
    { "approve", "--code", "WDJB-MJHT", "--server", "http://127.0.0.1:1",
      "http://127.0.0.1:1/cross-device/claim/x?token=y" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char **argv = g_new0 (char *, 7);
      int argc = 0;

      while (argc < 6 && cases[i][argc] != NULL)
        {
          argv[argc] = (char *) cases[i][argc];
          argc++;
        }
      g_assert_cmpint (companion_approve_main (argc, argv), ==, COMPANION_APPROVE_EXIT_ERROR);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/companion/approve-code/wrong-check-code-then-right",
                   test_code_wrong_then_right);
  g_test_add_func ("/companion/approve-code/three-wrong-check-codes", test_code_three_wrong);
  g_test_add_func ("/companion/approve-code/identified-other-key-refused-here",
                   test_identified_other_key);
  g_test_add_func ("/companion/approve-code/identified-nimiq-key-approves",
                   test_identified_right_key);
  g_test_add_func ("/companion/approve-code/unknown-code", test_unknown_code);
  g_test_add_func ("/companion/approve-code/usage", test_usage);

  return g_test_run ();
}
