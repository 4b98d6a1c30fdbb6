/* companion-pg-connection.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libpq in nonblocking mode, driven by one GSource on the connection's
 * socket: G_IO_OUT while connecting asks for it or while PQflush has more
 * to send, G_IO_IN always once connected (results, notifications, and the
 * server going away). Nothing here waits: a request is written into
 * libpq's buffer and flushed as the socket takes it.
 *
 * In pipeline mode the results of a request arrive as, per statement, its
 * PGresult then NULL, and finally PGRES_PIPELINE_SYNC. A statement that
 * fails makes the server skip the rest until the Sync (they come back as
 * PGRES_PIPELINE_ABORTED) and roll the implicit transaction back; the next
 * request starts clean.
 */
#define G_LOG_DOMAIN "companion-store"

#include "config.h"

#include <string.h>
#include <glib-unix.h>

#include "companion-pg-connection.h"

/* PQconnectPoll keeps no time; a server that accepts and never answers
 * must not hold a connection attempt forever. */
#define CONNECT_TIMEOUT_SECONDS 10

typedef struct {
  const CompanionPgStatement *prepared;  /* or: */
  char                       *sql;
  guint                       n_params;
  char                      **params;
} Statement;

struct _CompanionPgRequest
{
  GPtrArray  *statements;  /* Statement */
  const char *begin;       /* BEGIN …, or NULL: an implicit transaction */
};

static void
statement_free (gpointer data)
{
  Statement *s = data;

  for (guint i = 0; i < s->n_params; i++)
    g_free (s->params[i]);
  g_free (s->params);
  g_free (s->sql);
  g_free (s);
}

CompanionPgRequest *
companion_pg_request_new (void)
{
  CompanionPgRequest *request = g_new0 (CompanionPgRequest, 1);

  request->statements = g_ptr_array_new_with_free_func (statement_free);
  return request;
}

const char *
companion_pg_isolation_begin_sql (CompanionPgIsolation isolation)
{
  switch (isolation)
    {
    case COMPANION_PG_REPEATABLE_READ:
      return "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case COMPANION_PG_SERIALIZABLE:
      return "BEGIN ISOLATION LEVEL SERIALIZABLE";
    case COMPANION_PG_READ_COMMITTED:
    default:
      return "BEGIN ISOLATION LEVEL READ COMMITTED";
    }
}

CompanionPgRequest *
companion_pg_request_new_transaction (CompanionPgIsolation isolation)
{
  CompanionPgRequest *request = companion_pg_request_new ();

  request->begin = companion_pg_isolation_begin_sql (isolation);
  return request;
}

void
companion_pg_request_free (CompanionPgRequest *request)
{
  if (request == NULL)
    return;
  g_ptr_array_unref (request->statements);
  g_free (request);
}

static Statement *
statement_new (guint              n_params,
               const char *const *params)
{
  Statement *s = g_new0 (Statement, 1);

  s->n_params = n_params;
  s->params = g_new0 (char *, MAX (n_params, 1));
  for (guint i = 0; i < n_params; i++)
    s->params[i] = g_strdup (params[i]);
  return s;
}

void
companion_pg_request_add (CompanionPgRequest *request,
                          const char         *sql,
                          guint               n_params,
                          const char *const  *params)
{
  Statement *s;

  g_return_if_fail (request != NULL);
  g_return_if_fail (sql != NULL);
  g_return_if_fail (n_params == 0 || params != NULL);

  s = statement_new (n_params, params);
  s->sql = g_strdup (sql);
  g_ptr_array_add (request->statements, s);
}

void
companion_pg_request_add_prepared (CompanionPgRequest         *request,
                                   const CompanionPgStatement *statement,
                                   guint                       n_params,
                                   const char *const          *params)
{
  Statement *s;

  g_return_if_fail (request != NULL);
  g_return_if_fail (statement != NULL && statement->name != NULL && statement->sql != NULL);
  g_return_if_fail (n_params == 0 || params != NULL);

  s = statement_new (n_params, params);
  s->prepared = statement;
  g_ptr_array_add (request->statements, s);
}

guint
companion_pg_request_get_length (CompanionPgRequest *request)
{
  g_return_val_if_fail (request != NULL, 0);
  return request->statements->len;
}

typedef enum {
  STEP_STATEMENT,  /* the caller's */
  STEP_PREPARE,
  STEP_CONTROL,    /* BEGIN, COMMIT, ROLLBACK */
} StepKind;

/* What the results of one pipeline entry belong to. */
typedef struct {
  StepKind    kind;
  const char *name;  /* of the statement a prepare makes */
} Step;

/* A request sent and not answered yet. */
typedef struct {
  GTask     *task;           /* NULL once its caller stopped waiting */
  GSource   *cancel_source;
  GArray    *steps;          /* Step */
  guint      step;           /* whose results come now */
  GPtrArray *results;        /* PGresult, one per statement */
  GError    *error;          /* the first failure */
  gint64     sent_at;        /* monotonic */
} InFlight;

typedef struct {
  GSource                source;
  CompanionPgConnection *self;
  gpointer               tag;
} SocketSource;

struct _CompanionPgConnection
{
  GObject       parent_instance;

  char         *conninfo;
  PGconn       *conn;
  GMainContext *context;

  GSource      *socket_source;
  int           socket_fd;
  GIOCondition  socket_condition;

  GTask        *connect_task;
  GSource      *connect_timeout;
  GSource      *connect_cancel;
  GCancellable *resolving;     /* while the host name is looked up */
  char         *resolving_host;

  gboolean      ready;
  gboolean      closed;
  GQueue        in_flight;   /* InFlight, oldest first */
  guint         timeout_ms;  /* 0: wait for answers forever */
  GSource      *timeout;     /* for the oldest request in flight */
  InFlight     *timing;      /* which one it is */
  GHashTable   *prepared;    /* statement names sent to be prepared here */
};

G_DEFINE_FINAL_TYPE (CompanionPgConnection, companion_pg_connection, G_TYPE_OBJECT)

enum {
  NOTIFICATION,
  CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void in_flight_free (InFlight *f);
static void break_connection (CompanionPgConnection *self,
                              const char            *why);

static void
destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* ---- errors and connection strings ---- */

CompanionStoreError
companion_pg_error_code (const char *sqlstate)
{
  if (sqlstate == NULL || strlen (sqlstate) != 5)
    return COMPANION_STORE_ERROR_UNAVAILABLE;
  /* Integrity constraints: a unique key exists, as SQLite's CONSTRAINT. */
  if (g_str_has_prefix (sqlstate, "23"))
    return COMPANION_STORE_ERROR_CONFLICT;
  /* Worth a retry: a lost serialization race or deadlock, the connection
   * or the server going away, out of resources, a lock or statement
   * timeout. */
  if (g_str_has_prefix (sqlstate, "40") || g_str_has_prefix (sqlstate, "08") ||
      g_str_has_prefix (sqlstate, "53") || g_str_has_prefix (sqlstate, "57") ||
      g_str_has_prefix (sqlstate, "58") || strcmp (sqlstate, "55P03") == 0)
    return COMPANION_STORE_ERROR_UNAVAILABLE;
  /* A table or column of ours is missing: not a database of ours. */
  if (strcmp (sqlstate, "42P01") == 0 || strcmp (sqlstate, "42703") == 0)
    return COMPANION_STORE_ERROR_CORRUPT;
  return COMPANION_STORE_ERROR_FAILED;
}

char *
companion_pg_conninfo_check (const char *conninfo)
{
  char *message = NULL;
  PQconninfoOption *options;

  g_return_val_if_fail (conninfo != NULL, NULL);

  options = PQconninfoParse (conninfo, &message);
  /* libpq's message quotes the text around the mistake. */
  if (message != NULL)
    PQfreemem (message);
  if (options == NULL)
    return g_strdup ("The PostgreSQL connection string cannot be parsed (it is not repeated "
                     "here, as it may hold a password)");
  PQconninfoFree (options);
  return NULL;
}

/* The value of @keyword in @options, else of the environment variable
 * @env; NULL when neither is set. */
static const char *
option_value (PQconninfoOption *options,
              const char       *keyword,
              const char       *env)
{
  for (PQconninfoOption *o = options; o != NULL && o->keyword != NULL; o++)
    if (strcmp (o->keyword, keyword) == 0 && o->val != NULL && *o->val != '\0')
      return o->val;
  if (env != NULL)
    {
      const char *value = g_getenv (env);

      if (value != NULL && *value != '\0')
        return value;
    }
  return NULL;
}

char *
companion_pg_conninfo_redact (const char *conninfo)
{
  PQconninfoOption *options;
  const char *user, *host, *port, *dbname;
  GString *out;

  g_return_val_if_fail (conninfo != NULL, NULL);

  options = PQconninfoParse (conninfo, NULL);
  if (options == NULL)
    return g_strdup ("(an unparseable PostgreSQL connection string)");

  user = option_value (options, "user", "PGUSER");
  host = option_value (options, "host", "PGHOST");
  if (host == NULL)
    host = option_value (options, "hostaddr", "PGHOSTADDR");
  port = option_value (options, "port", "PGPORT");
  dbname = option_value (options, "dbname", "PGDATABASE");

  out = g_string_new ("postgresql://");
  if (user != NULL)
    g_string_append_printf (out, "%s@", user);
  g_string_append (out, host != NULL ? host : "");
  if (port != NULL)
    g_string_append_printf (out, ":%s", port);
  if (dbname != NULL)
    g_string_append_printf (out, "/%s", dbname);

  PQconninfoFree (options);
  return g_string_free (out, FALSE);
}

static void
replace_all (GString    *text,
             const char *secret)
{
  if (secret != NULL && *secret != '\0')
    g_string_replace (text, secret, "***", 0);
}

char *
companion_pg_scrub_password (const char *message,
                             const char *conninfo)
{
  GString *out;
  PQconninfoOption *options;

  g_return_val_if_fail (message != NULL, NULL);

  out = g_string_new (message);
  options = conninfo != NULL ? PQconninfoParse (conninfo, NULL) : NULL;
  if (options != NULL)
    {
      /* The server's, and that of the client's TLS key. */
      static const char *const secrets[] = { "password", "sslpassword" };

      for (guint i = 0; i < G_N_ELEMENTS (secrets); i++)
        {
          const char *secret = option_value (options, secrets[i], NULL);
          g_autofree char *escaped = NULL;

          if (secret == NULL)
            continue;
          /* As given, and as a URI would carry it. */
          escaped = g_uri_escape_string (secret, NULL, FALSE);
          replace_all (out, secret);
          replace_all (out, escaped);
        }
      PQconninfoFree (options);
    }
  replace_all (out, g_getenv ("PGPASSWORD"));
  return g_string_free (out, FALSE);
}

gint64
companion_pg_result_get_int64 (const PGresult *result,
                               int             row,
                               int             column)
{
  g_return_val_if_fail (result != NULL, 0);
  if (row >= PQntuples (result) || column >= PQnfields (result) ||
      PQgetisnull (result, row, column))
    return 0;
  return g_ascii_strtoll (PQgetvalue (result, row, column), NULL, 10);
}

char *
companion_pg_result_dup_text (const PGresult *result,
                              int             row,
                              int             column)
{
  g_return_val_if_fail (result != NULL, NULL);
  if (row >= PQntuples (result) || column >= PQnfields (result) ||
      PQgetisnull (result, row, column))
    return NULL;
  return g_strdup (PQgetvalue (result, row, column));
}

/* ---- the socket ---- */

static gboolean socket_ready (CompanionPgConnection *self,
                              GIOCondition           condition);

static gboolean
socket_source_dispatch (GSource     *source,
                        GSourceFunc  callback,
                        gpointer     user_data)
{
  SocketSource *s = (SocketSource *) source;

  return socket_ready (s->self, g_source_query_unix_fd (source, s->tag));
}

static GSourceFuncs socket_source_funcs = {
  .dispatch = socket_source_dispatch,
};

/* Watches the connection's socket (which libpq may change while
 * connecting) for @condition. */
static void
watch_socket (CompanionPgConnection *self,
              GIOCondition           condition)
{
  int fd = PQsocket (self->conn);
  SocketSource *s;

  if (self->socket_source != NULL && fd != self->socket_fd)
    destroy_source (&self->socket_source);

  if (self->socket_source != NULL)
    {
      if (condition != self->socket_condition)
        {
          s = (SocketSource *) self->socket_source;
          g_source_modify_unix_fd (self->socket_source, s->tag, condition);
          self->socket_condition = condition;
        }
      return;
    }

  if (fd < 0)
    return;
  self->socket_source = g_source_new (&socket_source_funcs, sizeof (SocketSource));
  s = (SocketSource *) self->socket_source;
  s->self = self;
  s->tag = g_source_add_unix_fd (self->socket_source, fd, condition);
  g_source_set_static_name (self->socket_source, "[companion] PostgreSQL socket");
  g_source_attach (self->socket_source, self->context);
  self->socket_fd = fd;
  self->socket_condition = condition;
}

/* libpq's message, on one line, without the password. */
static char *
clean_message (CompanionPgConnection *self,
               const char            *message)
{
  char *clean = companion_pg_scrub_password (message != NULL && *message != '\0' ? message
                                             : "no reason given", self->conninfo);

  g_strdelimit (clean, "\n\t", ' ');
  return g_strstrip (clean);
}

static GError *
connection_error (CompanionPgConnection *self,
                  const char            *what)
{
  g_autofree char *message = clean_message (self, PQerrorMessage (self->conn));

  return g_error_new (COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE,
                      "%s: %s", what, message);
}

/* ---- connecting ---- */

static void
connect_done (CompanionPgConnection *self,
              GError                *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->connect_task);

  destroy_source (&self->connect_timeout);
  destroy_source (&self->connect_cancel);
  if (self->resolving != NULL)
    {
      g_cancellable_cancel (self->resolving);
      g_clear_object (&self->resolving);
    }

  if (error != NULL)
    {
      self->closed = TRUE;
      destroy_source (&self->socket_source);
      g_clear_pointer (&self->conn, PQfinish);
      g_task_return_error (task, error);
      return;
    }

  self->ready = TRUE;
  watch_socket (self, G_IO_IN);
  g_task_return_boolean (task, TRUE);
}

static void
continue_connect (CompanionPgConnection *self)
{
  switch (PQconnectPoll (self->conn))
    {
    case PGRES_POLLING_READING:
      watch_socket (self, G_IO_IN);
      break;
    case PGRES_POLLING_WRITING:
      watch_socket (self, G_IO_OUT);
      break;
    case PGRES_POLLING_OK:
      if (PQsetnonblocking (self->conn, 1) != 0 || !PQenterPipelineMode (self->conn))
        connect_done (self, connection_error (self, "Cannot use the PostgreSQL connection"));
      else
        connect_done (self, NULL);
      break;
    case PGRES_POLLING_FAILED:
    case PGRES_POLLING_ACTIVE:
    default:
      connect_done (self, connection_error (self, "Cannot connect to PostgreSQL"));
      break;
    }
}

/* Server notices (a NOTICE, the WARNING of a shutdown) go to the debug
 * log rather than to stderr. */
static void
notice (void       *user_data,
        const char *message)
{
  g_autofree char *clean = clean_message (user_data, message);

  g_debug ("PostgreSQL says: %s", clean);
}

static gboolean
connect_timed_out (gpointer user_data)
{
  CompanionPgConnection *self = user_data;

  connect_done (self, g_error_new (COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE,
                                   "Cannot connect to PostgreSQL: no answer in %d s",
                                   CONNECT_TIMEOUT_SECONDS));
  return G_SOURCE_REMOVE;
}

static gboolean
connect_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  CompanionPgConnection *self = user_data;

  connect_done (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                           "Connecting to PostgreSQL was cancelled"));
  return G_SOURCE_REMOVE;
}

/* The host name of @conninfo (or PGHOST) when libpq would have to look it
 * up: not a socket directory, an IP address, a list (left to libpq), or
 * given with hostaddr. */
static char *
host_to_resolve (const char *conninfo)
{
  PQconninfoOption *options = PQconninfoParse (conninfo, NULL);
  const char *host, *hostaddr;
  char *found = NULL;

  if (options == NULL)
    return NULL;
  host = option_value (options, "host", "PGHOST");
  hostaddr = option_value (options, "hostaddr", "PGHOSTADDR");
  if (host != NULL && hostaddr == NULL && host[0] != '/' && host[0] != '@' &&
      strchr (host, ',') == NULL && !g_hostname_is_ip_address (host))
    found = g_strdup (host);
  PQconninfoFree (options);
  return found;
}

/* At most this many addresses of a name are tried, in the resolver's
 * order. */
#define MAX_ADDRESSES 8

/* PQconnectStart with the addresses of @host given as hostaddr (host stays
 * for authentication and TLS, once per address as libpq wants). */
static PGconn *
connect_start_at (const char *conninfo,
                  const char *host,
                  GList      *addresses)
{
  g_autoptr(GPtrArray) keywords = g_ptr_array_new ();
  g_autoptr(GPtrArray) values = g_ptr_array_new ();
  g_autoptr(GString) hosts = g_string_new (NULL);
  g_autoptr(GString) hostaddrs = g_string_new (NULL);
  PQconninfoOption *options = PQconninfoParse (conninfo, NULL);
  guint n = 0;
  PGconn *conn;

  if (options == NULL)
    return PQconnectStart (conninfo);

  for (GList *a = addresses; a != NULL && n < MAX_ADDRESSES; a = a->next, n++)
    {
      g_autofree char *text = g_inet_address_to_string (a->data);

      g_string_append_printf (hosts, "%s%s", n > 0 ? "," : "", host);
      g_string_append_printf (hostaddrs, "%s%s", n > 0 ? "," : "", text);
    }

  for (PQconninfoOption *o = options; o->keyword != NULL; o++)
    if (o->val != NULL && strcmp (o->keyword, "host") != 0 && strcmp (o->keyword, "hostaddr") != 0)
      {
        g_ptr_array_add (keywords, o->keyword);
        g_ptr_array_add (values, o->val);
      }
  g_ptr_array_add (keywords, (gpointer) "host");
  g_ptr_array_add (values, hosts->str);
  g_ptr_array_add (keywords, (gpointer) "hostaddr");
  g_ptr_array_add (values, hostaddrs->str);
  g_ptr_array_add (keywords, NULL);
  g_ptr_array_add (values, NULL);

  conn = PQconnectStartParams ((const char *const *) keywords->pdata,
                               (const char *const *) values->pdata, 0);
  PQconninfoFree (options);
  return conn;
}

/* Starts libpq's connection attempt, at @addresses of the host when they
 * were looked up. */
static void
start_libpq (CompanionPgConnection *self,
             GList                 *addresses)
{
  if (addresses != NULL)
    self->conn = connect_start_at (self->conninfo, self->resolving_host, addresses);
  else
    self->conn = PQconnectStart (self->conninfo);
  if (self->conn == NULL)
    {
      connect_done (self, g_error_new_literal (COMPANION_STORE_ERROR,
                                               COMPANION_STORE_ERROR_UNAVAILABLE,
                                               "Cannot connect to PostgreSQL: out of memory"));
      return;
    }

  PQsetNoticeProcessor (self->conn, notice, self);
  if (PQstatus (self->conn) == CONNECTION_BAD)
    {
      connect_done (self, connection_error (self, "Cannot connect to PostgreSQL"));
      return;
    }
  /* As libpq asks: start as if PQconnectPoll had said "writing". */
  watch_socket (self, G_IO_OUT);
}

static void
resolved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(CompanionPgConnection) self = user_data;
  g_autoptr(GError) error = NULL;
  GList *addresses;

  addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  /* Timed out, cancelled or closed meanwhile. */
  if (self->connect_task == NULL)
    {
      g_resolver_free_addresses (addresses);
      return;
    }
  g_clear_object (&self->resolving);

  if (addresses == NULL)
    {
      connect_done (self, g_error_new (COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE,
                                       "Cannot connect to PostgreSQL: cannot look up %s: %s",
                                       self->resolving_host, error->message));
      return;
    }
  start_libpq (self, addresses);
  g_resolver_free_addresses (addresses);
}

void
companion_pg_connection_connect_async (CompanionPgConnection *self,
                                       GCancellable          *cancellable,
                                       GAsyncReadyCallback    callback,
                                       gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (COMPANION_IS_PG_CONNECTION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, companion_pg_connection_connect_async);

  if (self->conn != NULL || self->closed)
    {
      g_task_return_new_error (task, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_FAILED,
                               "A PostgreSQL connection connects once");
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  self->connect_task = g_steal_pointer (&task);
  self->connect_timeout = g_timeout_source_new_seconds (CONNECT_TIMEOUT_SECONDS);
  g_source_set_callback (self->connect_timeout, connect_timed_out, self, NULL);
  g_source_attach (self->connect_timeout, self->context);
  if (cancellable != NULL)
    {
      self->connect_cancel = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->connect_cancel, G_SOURCE_FUNC (connect_cancelled), self, NULL);
      g_source_attach (self->connect_cancel, self->context);
    }

  /* libpq would look the name up itself, with getaddrinfo(), blocking;
   * GResolver does it on a thread of its own. */
  g_clear_pointer (&self->resolving_host, g_free);
  self->resolving_host = host_to_resolve (self->conninfo);
  if (self->resolving_host != NULL)
    {
      g_autoptr(GResolver) resolver = g_resolver_get_default ();

      self->resolving = g_cancellable_new ();
      g_resolver_lookup_by_name_async (resolver, self->resolving_host, self->resolving, resolved,
                                       g_object_ref (self));
      return;
    }
  start_libpq (self, NULL);
}

gboolean
companion_pg_connection_connect_finish (CompanionPgConnection  *self,
                                        GAsyncResult           *result,
                                        GError                **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- requests ---- */

static void
in_flight_free (InFlight *f)
{
  destroy_source (&f->cancel_source);
  g_clear_object (&f->task);
  g_array_unref (f->steps);
  g_ptr_array_unref (f->results);
  g_clear_error (&f->error);
  g_free (f);
}

static void
in_flight_complete (InFlight *f)
{
  GTask *task = g_steal_pointer (&f->task);

  destroy_source (&f->cancel_source);
  /* Only prepares and the ROLLBACK after a transaction have no task; a
   * prepare that fails is a bug of ours, which the request that needed it
   * reports as "prepared statement does not exist". */
  if (task == NULL && f->error != NULL && f->steps->len > 0 &&
      g_array_index (f->steps, Step, 0).kind == STEP_PREPARE)
    g_message ("Cannot prepare a statement: %s", f->error->message);
  if (task != NULL)
    {
      if (f->error != NULL)
        g_task_return_error (task, g_steal_pointer (&f->error));
      else
        g_task_return_pointer (task, g_ptr_array_ref (f->results),
                               (GDestroyNotify) g_ptr_array_unref);
      g_object_unref (task);
    }
  in_flight_free (f);
}

/* Its caller stops waiting; the results are dropped when they come. */
static gboolean
in_flight_cancelled (GCancellable *cancellable,
                     gpointer      user_data)
{
  InFlight *f = user_data;
  GTask *task = g_steal_pointer (&f->task);

  g_clear_pointer (&f->cancel_source, g_source_unref);
  g_task_return_error_if_cancelled (task);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
flush (CompanionPgConnection *self)
{
  int rc = PQflush (self->conn);

  if (rc < 0)
    break_connection (self, PQerrorMessage (self->conn));
  else
    watch_socket (self, rc == 1 ? G_IO_IN | G_IO_OUT : G_IO_IN);
}

static void
add_step (InFlight   *f,
          StepKind    kind,
          const char *name)
{
  Step step = { kind, name };

  g_array_append_val (f->steps, step);
}

static gboolean
send_control (CompanionPgConnection *self,
              InFlight              *f,
              const char            *sql)
{
  add_step (f, STEP_CONTROL, NULL);
  return PQsendQueryParams (self->conn, sql, 0, NULL, NULL, NULL, NULL, 0) == 1;
}

static InFlight *
in_flight_new (void)
{
  InFlight *f = g_new0 (InFlight, 1);

  f->steps = g_array_new (FALSE, FALSE, sizeof (Step));
  f->results = g_ptr_array_new_with_free_func ((GDestroyNotify) PQclear);
  f->sent_at = g_get_monotonic_time ();
  return f;
}

/* Prepares the statements of @request this connection has not prepared
 * yet, in a pipeline segment of their own: a failure in a request cannot
 * undo them, and a later request in the pipeline can count on them. */
static gboolean
send_prepares (CompanionPgConnection *self,
               CompanionPgRequest    *request)
{
  InFlight *f = NULL;

  for (guint i = 0; i < request->statements->len; i++)
    {
      Statement *s = g_ptr_array_index (request->statements, i);

      if (s->prepared == NULL || g_hash_table_contains (self->prepared, s->prepared->name))
        continue;
      if (f == NULL)
        {
          f = in_flight_new ();
          g_queue_push_tail (&self->in_flight, f);
        }
      if (!PQsendPrepare (self->conn, s->prepared->name, s->prepared->sql, 0, NULL))
        return FALSE;
      g_hash_table_add (self->prepared, (gpointer) s->prepared->name);
      add_step (f, STEP_PREPARE, s->prepared->name);
    }
  return f == NULL || PQpipelineSync (self->conn) == 1;
}

/* Queues @request's statements and its Sync in libpq's buffer (@f is
 * their entry in the queue). FALSE when libpq refuses, which only a broken
 * connection does. */
static gboolean
send_request (CompanionPgConnection *self,
              CompanionPgRequest    *request,
              InFlight              *f)
{
  if (request->begin != NULL && !send_control (self, f, request->begin))
    return FALSE;

  for (guint i = 0; i < request->statements->len; i++)
    {
      Statement *s = g_ptr_array_index (request->statements, i);
      const char *const *params = (const char *const *) s->params;
      int ok;

      if (s->prepared != NULL)
        ok = PQsendQueryPrepared (self->conn, s->prepared->name, (int) s->n_params, params,
                                  NULL, NULL, 0);
      else
        ok = PQsendQueryParams (self->conn, s->sql, (int) s->n_params, NULL, params,
                                NULL, NULL, 0);
      if (!ok)
        return FALSE;
      add_step (f, STEP_STATEMENT, NULL);
    }

  if (request->begin == NULL)
    return PQpipelineSync (self->conn) == 1;

  if (!send_control (self, f, "COMMIT") || PQpipelineSync (self->conn) != 1)
    return FALSE;
  /* After a failure the server skips the COMMIT and the session stays in
   * the aborted transaction past the Sync; a ROLLBACK of its own ends it
   * before the next request (after a COMMIT it only warns). */
  {
    InFlight *rollback = in_flight_new ();

    g_queue_push_tail (&self->in_flight, rollback);
    return send_control (self, rollback, "ROLLBACK") && PQpipelineSync (self->conn) == 1;
  }
}

static gboolean
answer_timed_out (gpointer user_data)
{
  CompanionPgConnection *self = user_data;
  g_autofree char *why = g_strdup_printf ("no answer in %u ms", self->timeout_ms);

  g_clear_pointer (&self->timeout, g_source_unref);
  self->timing = NULL;
  break_connection (self, why);
  return G_SOURCE_REMOVE;
}

/* Keeps a timer on the oldest request in flight: a server that stops
 * answering (a network gone silent, a stopped process) breaks the
 * connection instead of holding its requests forever. */
static void
arm_timeout (CompanionPgConnection *self)
{
  InFlight *head = g_queue_peek_head (&self->in_flight);
  gint64 left;

  if (head == self->timing)
    return;
  destroy_source (&self->timeout);
  self->timing = head;
  if (head == NULL || self->timeout_ms == 0 || self->closed)
    return;

  left = head->sent_at + (gint64) self->timeout_ms * 1000 - g_get_monotonic_time ();
  self->timeout = g_timeout_source_new (left > 0 ? (guint) ((left + 999) / 1000) : 0);
  g_source_set_callback (self->timeout, answer_timed_out, self, NULL);
  g_source_attach (self->timeout, self->context);
}

void
companion_pg_connection_set_timeout (CompanionPgConnection *self,
                                     guint                  timeout_ms)
{
  g_return_if_fail (COMPANION_IS_PG_CONNECTION (self));

  self->timeout_ms = timeout_ms;
  self->timing = NULL;
  destroy_source (&self->timeout);
  arm_timeout (self);
}

void
companion_pg_connection_execute_async (CompanionPgConnection *self,
                                       CompanionPgRequest    *request,
                                       GCancellable          *cancellable,
                                       GAsyncReadyCallback    callback,
                                       gpointer               user_data)
{
  g_autoptr(CompanionPgRequest) owned = request;
  g_autoptr(GTask) task = NULL;
  InFlight *f;

  g_return_if_fail (COMPANION_IS_PG_CONNECTION (self));
  g_return_if_fail (request != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, companion_pg_connection_execute_async);

  if (!self->ready)
    {
      g_task_return_new_error (task, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE,
                               "Not connected to PostgreSQL");
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  if (!send_prepares (self, owned))
    {
      break_connection (self, PQerrorMessage (self->conn));
      g_task_return_new_error (task, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE,
                               "The PostgreSQL connection is gone");
      return;
    }

  f = in_flight_new ();
  f->task = g_steal_pointer (&task);
  if (cancellable != NULL)
    {
      f->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (f->cancel_source, G_SOURCE_FUNC (in_flight_cancelled), f, NULL);
      g_source_attach (f->cancel_source, self->context);
    }
  g_queue_push_tail (&self->in_flight, f);

  if (!send_request (self, owned, f))
    {
      break_connection (self, PQerrorMessage (self->conn));
      return;
    }
  flush (self);
  if (!self->closed)
    arm_timeout (self);
}

GPtrArray *
companion_pg_connection_execute_finish (CompanionPgConnection  *self,
                                        GAsyncResult           *result,
                                        GError                **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
record_failure (CompanionPgConnection *self,
                InFlight              *f,
                PGresult              *result,
                const Step            *step)
{
  const char *sqlstate = PQresultErrorField (result, PG_DIAG_SQLSTATE);
  const char *primary = PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY);

  if (step != NULL && step->kind == STEP_PREPARE)
    g_hash_table_remove (self->prepared, step->name);

  if (f->error != NULL)
    return;
  if (PQresultStatus (result) == PGRES_PIPELINE_ABORTED)
    {
      /* Only after a failure, which was recorded first. */
      f->error = g_error_new_literal (COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_FAILED,
                                      "The statement was skipped");
      return;
    }
  /* The primary message only: the detail may quote a row's values. */
  f->error = g_error_new (COMPANION_STORE_ERROR, companion_pg_error_code (sqlstate),
                          "PostgreSQL: %s (SQLSTATE %s)",
                          primary != NULL ? primary : "unknown error",
                          sqlstate != NULL ? sqlstate : "none");
}

/* Reads every result libpq has without waiting, and completes the
 * requests whose Sync came. */
static void
process_results (CompanionPgConnection *self)
{
  InFlight *f;

  while (!self->closed && (f = g_queue_peek_head (&self->in_flight)) != NULL)
    {
      PGresult *result;
      const Step *step;

      if (PQstatus (self->conn) == CONNECTION_BAD)
        {
          break_connection (self, PQerrorMessage (self->conn));
          return;
        }
      if (PQisBusy (self->conn))
        break;

      result = PQgetResult (self->conn);
      step = f->step < f->steps->len ? &g_array_index (f->steps, Step, f->step) : NULL;

      if (result == NULL)
        {
          /* The end of one statement's results. */
          if (step == NULL)
            break;
          f->step++;
          continue;
        }

      switch (PQresultStatus (result))
        {
        case PGRES_PIPELINE_SYNC:
          PQclear (result);
          g_queue_pop_head (&self->in_flight);
          in_flight_complete (f);
          break;
        case PGRES_FATAL_ERROR:
        case PGRES_PIPELINE_ABORTED:
        case PGRES_BAD_RESPONSE:
        case PGRES_NONFATAL_ERROR:
          record_failure (self, f, result, step);
          PQclear (result);
          break;
        case PGRES_EMPTY_QUERY:
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK:
        case PGRES_COPY_OUT:
        case PGRES_COPY_IN:
        case PGRES_COPY_BOTH:
        case PGRES_SINGLE_TUPLE:
        default:
          if (step != NULL && step->kind == STEP_STATEMENT && f->task != NULL)
            g_ptr_array_add (f->results, result);
          else
            PQclear (result);
          break;
        }
    }

  if (!self->closed)
    arm_timeout (self);
}

static void
deliver_notifications (CompanionPgConnection *self)
{
  PGnotify *notify;

  while (!self->closed && (notify = PQnotifies (self->conn)) != NULL)
    {
      g_signal_emit (self, signals[NOTIFICATION], 0, notify->relname, notify->extra);
      PQfreemem (notify);
    }
}

static void
read_input (CompanionPgConnection *self)
{
  if (!PQconsumeInput (self->conn))
    {
      break_connection (self, PQerrorMessage (self->conn));
      return;
    }
  process_results (self);
  deliver_notifications (self);
  if (!self->closed && PQstatus (self->conn) == CONNECTION_BAD)
    break_connection (self, PQerrorMessage (self->conn));
  /* Reading may have made room for what was waiting to be sent. */
  if (!self->closed && (self->socket_condition & G_IO_OUT))
    flush (self);
}

static gboolean
socket_ready (CompanionPgConnection *self,
              GIOCondition           condition)
{
  /* A callback run from here may drop the last other reference. */
  g_object_ref (self);
  if (self->connect_task != NULL)
    continue_connect (self);
  else if (!self->closed)
    {
      if (condition & G_IO_OUT)
        flush (self);
      if (!self->closed && (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
        read_input (self);
    }
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

static void
break_connection (CompanionPgConnection *self,
                  const char            *why)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  InFlight *f;

  if (self->closed)
    return;
  /* The callbacks below may drop the last other reference. */
  g_object_ref (self);
  self->closed = TRUE;
  self->ready = FALSE;

  message = clean_message (self, why);
  error = g_error_new (COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE,
                       "The PostgreSQL connection is gone: %s", message);
  g_debug ("%s", error->message);

  destroy_source (&self->socket_source);
  destroy_source (&self->timeout);
  self->timing = NULL;
  while ((f = g_queue_pop_head (&self->in_flight)) != NULL)
    {
      /* What was sent may or may not have committed. */
      g_clear_error (&f->error);
      f->error = g_error_copy (error);
      in_flight_complete (f);
    }
  g_clear_pointer (&self->conn, PQfinish);
  g_signal_emit (self, signals[CLOSED], 0, error);
  g_object_unref (self);
}

gboolean
companion_pg_connection_is_ready (CompanionPgConnection *self)
{
  g_return_val_if_fail (COMPANION_IS_PG_CONNECTION (self), FALSE);
  return self->ready;
}

guint
companion_pg_connection_get_n_pending (CompanionPgConnection *self)
{
  g_return_val_if_fail (COMPANION_IS_PG_CONNECTION (self), 0);
  return self->in_flight.length;
}

char *
companion_pg_connection_quote_identifier (CompanionPgConnection *self,
                                          const char            *name)
{
  char *quoted;
  char *copy;

  g_return_val_if_fail (COMPANION_IS_PG_CONNECTION (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (!self->ready)
    return NULL;
  quoted = PQescapeIdentifier (self->conn, name, strlen (name));
  if (quoted == NULL)
    return NULL;
  copy = g_strdup (quoted);
  PQfreemem (quoted);
  return copy;
}

void
companion_pg_connection_close (CompanionPgConnection *self)
{
  g_return_if_fail (COMPANION_IS_PG_CONNECTION (self));

  if (self->connect_task != NULL)
    connect_done (self, g_error_new_literal (COMPANION_STORE_ERROR,
                                             COMPANION_STORE_ERROR_UNAVAILABLE,
                                             "The PostgreSQL connection was closed"));
  else if (!self->closed && self->conn != NULL)
    break_connection (self, "closed by the companion");
  self->closed = TRUE;
}

/* ---- the object ---- */

CompanionPgConnection *
companion_pg_connection_new (const char *conninfo)
{
  CompanionPgConnection *self;

  g_return_val_if_fail (conninfo != NULL, NULL);

  self = g_object_new (COMPANION_TYPE_PG_CONNECTION, NULL);
  self->conninfo = g_strdup (conninfo);
  return self;
}

static void
companion_pg_connection_dispose (GObject *object)
{
  CompanionPgConnection *self = COMPANION_PG_CONNECTION (object);

  /* A connection in use holds references through its tasks; what is left
   * here has nobody waiting. */
  if (self->connect_task != NULL || (!self->closed && self->conn != NULL))
    companion_pg_connection_close (self);
  destroy_source (&self->socket_source);
  destroy_source (&self->timeout);

  G_OBJECT_CLASS (companion_pg_connection_parent_class)->dispose (object);
}

static void
companion_pg_connection_finalize (GObject *object)
{
  CompanionPgConnection *self = COMPANION_PG_CONNECTION (object);

  g_clear_pointer (&self->conn, PQfinish);
  g_clear_pointer (&self->prepared, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->resolving_host);
  g_free (self->conninfo);

  G_OBJECT_CLASS (companion_pg_connection_parent_class)->finalize (object);
}

static void
companion_pg_connection_class_init (CompanionPgConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = companion_pg_connection_dispose;
  object_class->finalize = companion_pg_connection_finalize;

  signals[NOTIFICATION] =
    g_signal_new ("notification",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE,
                  2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[CLOSED] =
    g_signal_new ("closed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE,
                  1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
companion_pg_connection_init (CompanionPgConnection *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->prepared = g_hash_table_new (g_str_hash, g_str_equal);
  self->socket_fd = -1;
  g_queue_init (&self->in_flight);
}
