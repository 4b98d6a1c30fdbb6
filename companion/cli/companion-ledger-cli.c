/* companion-ledger-cli.c: balances, entries, credits and debits for operators
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Works on the database directly while no companion serves it (this
 * command then holds the serving lock, see companion_serve_lock()), and
 * through the running companion's HTTP API otherwise (--server URL and the
 * admin key in $CROSSING_ADMIN_KEY), so that its timer, metrics and rate
 * limits see every change. Either way a credit or debit is the same
 * posting as POST /ledger/credit: same checks, fingerprint and stored
 * answer, so an idempotency key means the same thing in both.
 */
#define G_LOG_DOMAIN "companion"

#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>
#include <unistd.h>

#include "crossing-nimiq.h"
#include "crossing-token.h"

#include "companion-config.h"
#include "companion-ledger.h"
#include "companion-ledger-cli.h"
#include "companion-ledger-parse.h"
#include "companion-serve.h"
#include "companion-store.h"

#define ME "crossing-companion ledger"

typedef struct {
  const char       *db_path;
  const char       *server;        /* NULL: the database directly */
  const char       *base_path;
  const char       *admin_key;     /* with server */
  GStrv             assets;
  CompanionStore   *store;
  SoupSession      *session;
} Cli;

static int
fail (const char *format,
      ...) G_GNUC_PRINTF (1, 2);

static int
fail (const char *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr (ME ": %s\n", message);
  return 1;
}

/* ---- printing one answer's shape, whichever way it came ------------------ */

static void
print_balance (JsonObject *balance)
{
  g_print ("%-12s posted %" G_GINT64_FORMAT "  reserved %" G_GINT64_FORMAT
           "  available %" G_GINT64_FORMAT "  (scale %" G_GINT64_FORMAT ")\n",
           json_object_get_string_member (balance, "asset"),
           json_object_get_int_member (balance, "posted"),
           json_object_get_int_member (balance, "reserved"),
           json_object_get_int_member (balance, "available"),
           json_object_get_int_member (balance, "scale"));
}

static void
print_entry (JsonObject *entry)
{
  g_autofree char *when = crossing_format_iso8601_ms (json_object_get_int_member (entry,
                                                                                  "createdAt"));

  g_print ("%s  %-8s %-8s %+" G_GINT64_FORMAT "/%+" G_GINT64_FORMAT "  posted %" G_GINT64_FORMAT
           "  reserved %" G_GINT64_FORMAT "  %s\n",
           when, json_object_get_string_member (entry, "type"),
           json_object_get_string_member (entry, "asset"),
           json_object_get_int_member (entry, "postedDelta"),
           json_object_get_int_member (entry, "reservedDelta"),
           json_object_get_int_member (entry, "posted"),
           json_object_get_int_member (entry, "reserved"),
           json_object_get_string_member (entry, "reason"));
}

static void
print_answer (const char *command,
              JsonObject *answer)
{
  if (strcmp (command, "balance") == 0)
    {
      JsonArray *balances = json_object_get_array_member (answer, "balances");

      for (guint i = 0; i < json_array_get_length (balances); i++)
        print_balance (json_array_get_object_element (balances, i));
    }
  else if (strcmp (command, "entries") == 0)
    {
      JsonArray *entries = json_object_get_array_member (answer, "entries");

      for (guint i = 0; i < json_array_get_length (entries); i++)
        print_entry (json_array_get_object_element (entries, i));
    }
  else
    {
      print_entry (json_object_get_object_member (answer, "entry"));
      print_balance (json_object_get_object_member (answer, "balance"));
    }
}

static JsonObject *
parse_object (const char  *text,
              gsize        len,
              JsonParser **out_parser)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_data (parser, text, (gssize) len, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  *out_parser = g_steal_pointer (&parser);
  return json_node_get_object (root);
}

/* ---- through the running companion -------------------------------------- */

static int
via_server (Cli        *cli,
            const char *command,
            const char *user_id,
            const char *body,
            guint       limit)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *authorization = g_strconcat ("Bearer ", cli->admin_key, NULL);
  g_autofree char *url = NULL;
  g_autofree char *escaped = g_uri_escape_string (user_id, NULL, FALSE);
  JsonObject *object;
  gsize len;
  const char *data;

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      url = g_strdup_printf ("%s%s/ledger/%s", cli->server, cli->base_path, command);
      msg = soup_message_new ("POST", url);
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  else
    {
      url = g_strdup_printf ("%s%s/ledger/%s?userId=%s&limit=%u", cli->server, cli->base_path,
                             command, escaped, limit);
      msg = soup_message_new ("GET", url);
    }
  if (msg == NULL)
    return fail ("--server %s is not a URL", cli->server);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                authorization);

  answer = soup_session_send_and_read (cli->session, msg, NULL, &error);
  if (answer == NULL)
    return fail ("cannot reach %s: %s", cli->server, error->message);
  data = g_bytes_get_data (answer, &len);
  object = parse_object (data, len, &parser);
  if (soup_message_get_status (msg) != SOUP_STATUS_OK || object == NULL)
    return fail ("%u %.*s", soup_message_get_status (msg), (int) MIN (len, 512), data);
  print_answer (command, object);
  return 0;
}

/* ---- on the database ----------------------------------------------------- */

static int
balance_direct (Cli        *cli,
                const char *user_id)
{
  for (guint i = 0; cli->assets[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) balance = json_object_new ();
      g_autofree char *code = NULL;
      CompanionLedgerBalance b;
      guint scale;

      companion_ledger_parse_asset (cli->assets[i], &code, &scale);
      if (!companion_store_ledger_get_balance (cli->store, user_id, code, crossing_now_ms (), &b,
                                               &error))
        return fail ("%s", error->message);
      json_object_set_string_member (balance, "asset", code);
      json_object_set_int_member (balance, "scale", scale);
      json_object_set_int_member (balance, "posted", b.posted);
      json_object_set_int_member (balance, "reserved", b.reserved);
      json_object_set_int_member (balance, "available", b.posted - b.reserved);
      print_balance (balance);
    }
  return 0;
}

static int
entries_direct (Cli        *cli,
                const char *user_id,
                guint       limit)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = companion_store_ledger_list_entries (cli->store, user_id, NULL, 0,
                                                                      limit, &error);

  if (entries == NULL)
    return fail ("%s", error->message);
  for (guint i = 0; i < entries->len; i++)
    {
      const CompanionLedgerEntry *e = g_ptr_array_index (entries, i);
      g_autoptr(JsonObject) entry = json_object_new ();

      json_object_set_int_member (entry, "createdAt", e->created_at);
      json_object_set_string_member (entry, "type", e->type);
      json_object_set_string_member (entry, "asset", e->asset);
      json_object_set_int_member (entry, "postedDelta", e->posted_delta);
      json_object_set_int_member (entry, "reservedDelta", e->reserved_delta);
      json_object_set_int_member (entry, "posted", e->posted);
      json_object_set_int_member (entry, "reserved", e->reserved);
      json_object_set_string_member (entry, "reason", e->reason);
      print_entry (entry);
    }
  return 0;
}

static int
move_direct (Cli        *cli,
             const char *command,
             const char *user_id,
             const char *asset,
             gint64      amount,
             const char *reason,
             const char *key)
{
  g_auto(CompanionLedgerResult) result = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *answer;

  if (!companion_ledger_post_move (cli->store, (const char * const *) cli->assets, command,
                                   user_id, asset, amount, reason, key, &result, &error))
    return fail ("%s", error->message);
  if (result.outcome != COMPANION_LEDGER_APPLIED && result.outcome != COMPANION_LEDGER_REPLAYED)
    return fail ("%s", crossing_error_to_code (companion_ledger_outcome_error (result.outcome)));
  if (result.outcome == COMPANION_LEDGER_REPLAYED)
    g_print ("(already done with this idempotency key; its first answer:)\n");
  answer = parse_object (result.body, strlen (result.body), &parser);
  if (answer == NULL)
    return fail ("the stored answer is not JSON");
  print_answer (command, answer);
  return 0;
}

/* ---- the command --------------------------------------------------------- */

static char *
normalize_subject (const char *subject)
{
  guint8 address[CROSSING_NIMIQ_ADDRESS_BYTES];

  if (g_str_has_prefix (subject, "ed25519:"))
    return g_ascii_strdown (subject, -1);
  if (crossing_nimiq_address_parse (subject, address, NULL))
    return crossing_nimiq_address_from_bytes (address);
  return g_strdup (subject);
}

static int
usage (GOptionContext *context,
       const char     *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  g_printerr (ME ": %s\n\n%s", message, help);
  return 2;
}

int
companion_ledger_cli_main (int    argc,
                           char **argv)
{
  g_autoptr(CompanionConfig) defaults = companion_config_new_default ();
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CompanionUser) user = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *server = NULL;
  g_autofree char *base_path = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *key = NULL;
  g_autofree char *subject = NULL;
  g_auto(GStrv) assets = NULL;
  g_autoptr(CompanionStore) store = NULL;
  g_autoptr(SoupSession) session = NULL;
  const char *command;
  int limit = 20;
  int lock = -1;
  int status;
  Cli cli = { 0, };
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path,
      "SQLite database file (default $XDG_STATE_HOME/crossing/companion.db)", "PATH" },
    { "server", 0, 0, G_OPTION_ARG_STRING, &server,
      "The running companion's URL, used when it serves the database (default none)", "URL" },
    { "base-path", 0, 0, G_OPTION_ARG_STRING, &base_path,
      "Its API path (default " CROSSING_DEFAULT_BASE_PATH ")", "PATH" },
    { "ledger-asset", 0, 0, G_OPTION_ARG_STRING_ARRAY, &assets,
      "The assets, as given to serve (default coin:0)", "CODE:SCALE" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "How many entries, 1 to 100 (default 20)", "N" },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, "Why, required for credit and debit (default none)",
      "TEXT" },
    { "idempotency-key", 0, 0, G_OPTION_ARG_STRING, &key,
      "The mutation's key, required for credit and debit: the same key again does nothing "
      "more (default none)", "KEY" },
    COMPANION_VERSION_ENTRY,
    { NULL }
  };

  context = g_option_context_new ("balance SUBJECT | entries SUBJECT | credit|debit SUBJECT "
                                  "AMOUNT ASSET");
  g_option_context_set_summary (context,
    "Show a user's balances and entries, or credit or debit them (AMOUNT in minor units).\n"
    "\n"
    "While no companion serves the database, this works on it directly (and holds\n"
    "DB.lock meanwhile). While one does (serve holds DB.lock shared), it goes through\n"
    "that companion's HTTP API: give --server URL and the admin key in\n"
    "$CROSSING_ADMIN_KEY (see `crossing-companion admin-key new`); the companion\n"
    "needs --ledger-mutations on for credit and debit.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage (context, error->message);

  if (argc < 3)
    return usage (context, "say balance, entries, credit or debit, and a SUBJECT");
  command = argv[1];
  if (strcmp (command, "balance") == 0 || strcmp (command, "entries") == 0)
    {
      if (argc != 3)
        return usage (context, "wrong number of arguments");
    }
  else if (strcmp (command, "credit") == 0 || strcmp (command, "debit") == 0)
    {
      if (argc != 5)
        return usage (context, "say credit|debit SUBJECT AMOUNT ASSET");
      if (reason == NULL || *reason == '\0' || g_utf8_strlen (reason, -1) > 120 ||
          !crossing_string_is_clean (reason))
        return usage (context, "--reason is required: 1 to 120 printable characters");
      if (!companion_ledger_key_is_valid (key))
        return usage (context, "--idempotency-key is required: [A-Za-z0-9_:.-]{1,255}");
    }
  else
    return usage (context, "say balance, entries, credit or debit");
  if (limit < 1 || limit > 100)
    return usage (context, "--limit is from 1 to 100");

  cli.db_path = db_path != NULL ? db_path : defaults->db_path;
  cli.base_path = base_path != NULL ? base_path : CROSSING_DEFAULT_BASE_PATH;
  cli.assets = assets != NULL ? assets : defaults->ledger_assets;
  for (guint i = 0; cli.assets[i] != NULL; i++)
    {
      g_autofree char *code = NULL;
      guint scale;

      if (!companion_ledger_parse_asset (cli.assets[i], &code, &scale))
        return usage (context, "--ledger-asset is CODE:SCALE, such as coin:0");
    }

  lock = companion_serve_lock (cli.db_path, TRUE);
  if (lock < 0)
    {
      cli.server = server;
      cli.admin_key = g_getenv ("CROSSING_ADMIN_KEY");
      if (cli.server == NULL || cli.admin_key == NULL)
        return fail ("a companion is serving %s: give --server URL and the admin key in "
                     "$CROSSING_ADMIN_KEY to go through it", cli.db_path);
      session = soup_session_new ();
      cli.session = session;
    }

  /* A read beside a running companion is fine: SQLite readers never wait. */
  crossing_crypto_init ();
  store = companion_store_open (cli.db_path, &error);
  if (store == NULL)
    return fail ("%s", error->message);
  cli.store = store;

  subject = normalize_subject (argv[2]);
  user = companion_store_get_user_by_subject (store, subject, &error);
  if (user == NULL)
    return fail ("no user %s", subject);

  g_print ("user %s (userId %s)\n", user->subject, user->id);
  if (cli.server != NULL)
    {
      g_autofree char *body = NULL;

      if (argc == 5)
        {
          g_autoptr(JsonBuilder) b = json_builder_new ();
          g_autoptr(JsonGenerator) generator = json_generator_new ();
          g_autoptr(JsonNode) root = NULL;
          gint64 amount;

          if (!g_ascii_string_to_signed (argv[3], 10, 1, COMPANION_LEDGER_MAX_AMOUNT, &amount,
                                         NULL))
            return usage (context, "AMOUNT is an integer from 1 to 2^53 - 1, in minor units");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "userId");
          json_builder_add_string_value (b, user->id);
          json_builder_set_member_name (b, "asset");
          json_builder_add_string_value (b, argv[4]);
          json_builder_set_member_name (b, "amount");
          json_builder_add_int_value (b, amount);
          json_builder_set_member_name (b, "reason");
          json_builder_add_string_value (b, reason);
          json_builder_set_member_name (b, "idempotencyKey");
          json_builder_add_string_value (b, key);
          json_builder_end_object (b);
          root = json_builder_get_root (b);
          json_generator_set_root (generator, root);
          body = json_generator_to_data (generator, NULL);
        }
      status = via_server (&cli, command, user->id, body, (guint) limit);
    }
  else if (strcmp (command, "balance") == 0)
    status = balance_direct (&cli, user->id);
  else if (strcmp (command, "entries") == 0)
    status = entries_direct (&cli, user->id, (guint) limit);
  else
    {
      gint64 amount;
      gboolean known = FALSE;

      if (!g_ascii_string_to_signed (argv[3], 10, 1, COMPANION_LEDGER_MAX_AMOUNT, &amount, NULL))
        return usage (context, "AMOUNT is an integer from 1 to 2^53 - 1, in minor units");
      for (guint i = 0; cli.assets[i] != NULL; i++)
        known = known || (g_str_has_prefix (cli.assets[i], argv[4]) &&
                          cli.assets[i][strlen (argv[4])] == ':');
      if (!known)
        return fail ("UNKNOWN_ASSET: %s is not one of the --ledger-asset values", argv[4]);
      status = move_direct (&cli, command, user->id, argv[4], amount, reason, key);
    }

  if (lock >= 0)
    close (lock);
  return status;
}
