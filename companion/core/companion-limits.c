/* companion-limits.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Allowances are token buckets: a client may spend its whole allowance for
 * a minute at once, then earns it back evenly over the minute. A full
 * bucket is the same as none, so the sweep forgets them; that keeps the
 * tables as small as the set of clients currently misbehaving.
 *
 * Connections are known by their GSocket (weakly referenced: libsoup owns
 * it). Each has at most one deadline at a time:
 *   request-started   -> the whole request must be read, answered and
 *                        written within request_timeout (the first request
 *                        starts at accept, later ones at their first byte);
 *   request-finished  -> the next request must begin within idle_timeout;
 *   keep_open()       -> none, for an event stream.
 * A sweep each second shuts down whatever is past its deadline, which is
 * what stops a client that opens connections and sends nothing, or a
 * header a byte at a time.
 */
#define _GNU_SOURCE   /* POLLRDHUP */
#define G_LOG_DOMAIN "companion-limits"

#include "config.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <math.h>
#include <poll.h>
#include <string.h>

#include "crossing-protocol.h"

#include "companion-limits.h"

/* Past this many tracked clients, new ones share one bucket: a flood from
 * very many addresses is limited as one. */
#define MAX_TRACKED_CLIENTS 65536
#define OVERFLOW_KEY "*"

typedef struct {
  double tokens;
  gint64 updated;   /* monotonic µs */
} Bucket;

typedef struct {
  CompanionLimits   *limits;
  GSocket           *socket;    /* weak, or strong when owns_ref */
  char              *key;
  gint64             deadline;  /* monotonic µs, 0 for none */
  gboolean           owns_ref;  /* the reference libsoup's listener leaked */
  SoupServerMessage *idle_msg;  /* last finished message, while idle */
  guint              idle_watch;
} Connection;

struct _CompanionLimits
{
  GObject                parent_instance;

  const CompanionConfig *config;
  CompanionStore        *store;

  GHashTable            *start_buckets;    /* key -> Bucket */
  GHashTable            *failure_buckets;  /* key -> Bucket */
  GHashTable            *connections;      /* GSocket* -> Connection */
  GHashTable            *per_address;      /* key -> count of connections */
  guint                  sweep_id;
  guint                  ticks;

  guint64                pending;          /* orders not terminal, as last counted */
  gint64                 pending_counted;  /* monotonic µs */
};

G_DEFINE_FINAL_TYPE (CompanionLimits, companion_limits, G_TYPE_OBJECT)

/* "198.51.100.7", or the /64 of an IPv6 address: "2001:db8:1:2::/64". */
static char *
client_key (const char *ip)
{
  g_autoptr(GInetAddress) address = NULL;
  guint8 bytes[16] = { 0 };

  if (ip == NULL || *ip == '\0')
    return g_strdup ("?");
  /* Every IPv6 address is written with a colon: without one there is
   * nothing to parse (a GInetAddress made and freed per request). */
  if (strchr (ip, ':') == NULL)
    return g_strdup (ip);

  address = g_inet_address_new_from_string (ip);
  if (address == NULL || g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV6)
    return g_strdup (ip);

  memcpy (bytes, g_inet_address_to_bytes (address), 16);
  /* ::ffff:a.b.c.d is an IPv4 client. */
  if (memcmp (bytes, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
    return g_strdup_printf ("%u.%u.%u.%u", bytes[12], bytes[13], bytes[14], bytes[15]);

  memset (bytes + 8, 0, 8);
  {
    g_autoptr(GInetAddress) prefix = g_inet_address_new_from_bytes (bytes, G_SOCKET_FAMILY_IPV6);
    g_autofree char *text = g_inet_address_to_string (prefix);

    return g_strconcat (text, "/64", NULL);
  }
}

char *
companion_limits_client_key (const char *ip)
{
  return client_key (ip);
}

/* ---- buckets -------------------------------------------------------------- */

static void
refill (Bucket *bucket,
        guint   per_minute,
        gint64  now)
{
  double earned = (double) (now - bucket->updated) * per_minute / (60.0 * G_USEC_PER_SEC);

  bucket->tokens = MIN ((double) per_minute, bucket->tokens + earned);
  bucket->updated = now;
}

static Bucket *
lookup_bucket (GHashTable *buckets,
               const char *ip,
               guint       per_minute,
               gint64      now,
               gboolean    create)
{
  g_autofree char *key = client_key (ip);
  Bucket *bucket = g_hash_table_lookup (buckets, key);

  if (bucket == NULL && g_hash_table_size (buckets) >= MAX_TRACKED_CLIENTS)
    bucket = g_hash_table_lookup (buckets, OVERFLOW_KEY);

  if (bucket == NULL)
    {
      if (!create)
        return NULL;
      bucket = g_new (Bucket, 1);
      bucket->tokens = per_minute;
      bucket->updated = now;
      g_hash_table_insert (buckets,
                           g_hash_table_size (buckets) >= MAX_TRACKED_CLIENTS
                             ? g_strdup (OVERFLOW_KEY) : g_steal_pointer (&key),
                           bucket);
      return bucket;
    }

  refill (bucket, per_minute, now);
  return bucket;
}

/* Seconds until @bucket holds a whole token again. */
static guint
seconds_until_token (const Bucket *bucket,
                     guint         per_minute)
{
  double missing = 1.0 - bucket->tokens;

  return (guint) MAX (1.0, ceil (missing * 60.0 / per_minute));
}

static void
forget_full_buckets (GHashTable *buckets,
                     guint       per_minute,
                     gint64      now)
{
  GHashTableIter iter;
  Bucket *bucket;

  g_hash_table_iter_init (&iter, buckets);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &bucket))
    {
      refill (bucket, per_minute, now);
      if (bucket->tokens >= per_minute)
        g_hash_table_iter_remove (&iter);
    }
}

gboolean
companion_limits_allow_start (CompanionLimits *self,
                              const char      *ip,
                              guint           *retry_after)
{
  gint64 now = g_get_monotonic_time ();
  Bucket *bucket;

  g_return_val_if_fail (COMPANION_IS_LIMITS (self), FALSE);
  g_return_val_if_fail (retry_after != NULL, FALSE);

  /* The total of pending orders, counted at most once a second. */
  if (now - self->pending_counted >= G_USEC_PER_SEC)
    {
      g_autoptr(GError) error = NULL;
      guint64 pending = companion_store_count_pending (self->store, &error);

      /* A live Nimiq sign-in nonce is a pending sign-in too. */
      if (error == NULL)
        pending += companion_store_count_nimiq_nonces (self->store, crossing_now_ms (), &error);

      if (error != NULL)
        g_warning ("Cannot count the pending orders: %s", error->message);
      else
        self->pending = pending;
      self->pending_counted = now;
    }
  if (self->pending >= self->config->max_pending_orders)
    {
      gint64 next = companion_store_next_expiry (self->store, NULL);
      gint64 wait_ms = next == G_MAXINT64 ? 1000 : next - crossing_now_ms ();

      *retry_after = (guint) CLAMP ((wait_ms + 999) / 1000, 1, 3600);
      return FALSE;
    }

  bucket = lookup_bucket (self->start_buckets, ip, self->config->max_starts_per_minute, now, TRUE);
  if (bucket->tokens < 1.0)
    {
      *retry_after = seconds_until_token (bucket, self->config->max_starts_per_minute);
      return FALSE;
    }
  bucket->tokens -= 1.0;
  self->pending++;
  return TRUE;
}

gboolean
companion_limits_allow_attempt (CompanionLimits *self,
                                const char      *ip,
                                guint           *retry_after)
{
  guint per_minute;
  Bucket *bucket;

  g_return_val_if_fail (COMPANION_IS_LIMITS (self), FALSE);
  g_return_val_if_fail (retry_after != NULL, FALSE);

  per_minute = self->config->max_failures_per_minute;
  bucket = lookup_bucket (self->failure_buckets, ip, per_minute, g_get_monotonic_time (), FALSE);
  if (bucket == NULL || bucket->tokens >= 1.0)
    return TRUE;

  *retry_after = seconds_until_token (bucket, per_minute);
  return FALSE;
}

void
companion_limits_count_failure (CompanionLimits *self,
                                const char      *ip)
{
  Bucket *bucket;

  g_return_if_fail (COMPANION_IS_LIMITS (self));

  bucket = lookup_bucket (self->failure_buckets, ip, self->config->max_failures_per_minute,
                          g_get_monotonic_time (), TRUE);
  bucket->tokens = MAX (0.0, bucket->tokens - 1.0);
}

/* ---- connections ---------------------------------------------------------- */

static void
on_socket_gone (gpointer  user_data,
                GObject  *where_the_socket_was)
{
  Connection *connection = user_data;
  CompanionLimits *self = connection->limits;

  connection->socket = NULL;
  g_hash_table_remove (self->connections, where_the_socket_was);
}

static void
connection_free (Connection *connection)
{
  CompanionLimits *self = connection->limits;
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, connection->key));

  if (count > 1)
    g_hash_table_insert (self->per_address, g_strdup (connection->key), GUINT_TO_POINTER (count - 1));
  else
    g_hash_table_remove (self->per_address, connection->key);

  g_clear_handle_id (&connection->idle_watch, g_source_remove);
  g_clear_object (&connection->idle_msg);
  if (connection->socket != NULL)
    {
      g_object_weak_unref (G_OBJECT (connection->socket), on_socket_gone, connection);
      if (connection->owns_ref)
        g_object_unref (connection->socket);
    }
  g_free (connection->key);
  g_free (connection);
}

/* libsoup before 3.4 (its commit b545d5f0) never drops the reference
 * g_socket_accept() gave its listener: every accepted GSocket outlives its
 * connection, closed but never freed (~450 bytes each, for ever). Every
 * socket seen here was accepted by that listener (the server only listens
 * through soup_server_listen_socket(); streams from
 * soup_server_accept_iostream() have none), and the leak is unconditional
 * there, so the version alone says whether the reference is ours to drop
 * once the socket is closed. test-limits' /limits/connections-freed fails if
 * it stops holding. */
static gboolean
listener_leaks_sockets (void)
{
  return soup_get_major_version () == 3 && soup_get_minor_version () < 4;
}

static void
stop_idle_watch (Connection *connection)
{
  g_clear_handle_id (&connection->idle_watch, g_source_remove);
  g_clear_object (&connection->idle_msg);
}

static void
shut_down (Connection *connection)
{
  connection->deadline = 0;
  if (connection->socket != NULL)
    g_socket_shutdown (connection->socket, TRUE, TRUE, NULL);
}

/* libsoup 3.2 (fixed by its commit d20c6601 in 3.3.0) never learns that a
 * client closed a kept-alive connection between requests: the message it
 * waits on has no completion callback, so it stops reading, keeps the
 * connection, its socket and file descriptor for ever, and emits nothing.
 * It can only be made to let go while that message still waits, by
 * stealing the connection through the previous one (once it has read the
 * end, stealing crashes): watch for the hang-up (POLLRDHUP, not POLLIN, so
 * a next request is left to libsoup) at a higher priority than libsoup's
 * read source, so that it always runs first. No public API tells whether
 * that message still waits; /limits/connections-freed fails if it stops
 * being let go. */
static gboolean
idle_close_leaks (void)
{
  return soup_get_major_version () == 3 && soup_get_minor_version () < 3;
}

/* Ends an idle kept-alive connection so that libsoup 3.2 lets go of it. */
static void
release_idle (Connection *connection)
{
  g_autoptr(SoupServerMessage) msg = g_steal_pointer (&connection->idle_msg);
  GSocket *socket = connection->socket;

  g_clear_handle_id (&connection->idle_watch, g_source_remove);
  connection->deadline = 0;
  if (socket == NULL || g_socket_is_closed (socket))
    return;

  /* libsoup only reads the next request once its socket source says the
   * descriptor is readable (its buffer is empty: bytes already buffered
   * would have started a request and stopped this watch), and a hang-up
   * makes our G_PRIORITY_HIGH watch ready in the same poll, which GLib
   * dispatches alone: so libsoup cannot have read the end yet and still
   * waits on the next message, which makes stealing safe. */
  if (msg != NULL)
    {
      g_autoptr(GIOStream) stream = soup_server_message_steal_connection (msg);

      if (stream != NULL)
        g_io_stream_close (stream, NULL, NULL);
    }
  g_socket_close (socket, NULL);
}

static gboolean
on_idle_hangup (gint         fd,
                GIOCondition condition,
                gpointer     user_data)
{
  Connection *connection = user_data;

  connection->idle_watch = 0;
  g_debug ("Connection from %s closed by the client while idle", connection->key);
  release_idle (connection);
  g_hash_table_remove (connection->limits->connections, connection->socket);
  return G_SOURCE_REMOVE;
}

static void
watch_idle (Connection        *connection,
            SoupServerMessage *msg)
{
  stop_idle_watch (connection);
  if (connection->socket == NULL || g_socket_is_closed (connection->socket))
    return;

  connection->idle_msg = g_object_ref (msg);
  connection->idle_watch = g_unix_fd_add_full (G_PRIORITY_HIGH,
                                               g_socket_get_fd (connection->socket),
                                               (GIOCondition) (POLLRDHUP | G_IO_HUP | G_IO_ERR),
                                               on_idle_hangup, connection, NULL);
}

/* What libsoup's private soup_server_message_is_keepalive() decides. */
static gboolean
may_keep_alive (SoupServerMessage *msg)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);

  if (soup_message_headers_get_encoding (response) == SOUP_ENCODING_EOF)
    return FALSE;
  if (soup_server_message_get_http_version (msg) == SOUP_HTTP_1_0)
    return soup_message_headers_header_contains (response, "Connection", "Keep-Alive");
  return !soup_message_headers_header_contains (request, "Connection", "close") &&
         !soup_message_headers_header_contains (response, "Connection", "close");
}

static Connection *
lookup_connection (CompanionLimits   *self,
                   SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  return socket != NULL ? g_hash_table_lookup (self->connections, socket) : NULL;
}

/* libsoup 3.2 may keep a closed connection's socket object alive long
 * after it closed it: closed is gone. */
static void
forget_closed_connections (CompanionLimits *self)
{
  GHashTableIter iter;
  Connection *connection;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &connection))
    if (connection->socket == NULL || g_socket_is_closed (connection->socket))
      g_hash_table_iter_remove (&iter);
}

static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  CompanionLimits *self = user_data;
  GSocket *socket = soup_server_message_get_socket (msg);
  Connection *connection;
  guint count;

  /* Streams handed over with soup_server_accept_iostream() have no socket:
   * whoever made them owns their life. */
  if (socket == NULL)
    return;

  connection = g_hash_table_lookup (self->connections, socket);
  if (connection == NULL)
    {
      connection = g_new0 (Connection, 1);
      connection->limits = self;
      connection->socket = socket;
      /* Behind a proxy every connection comes from the proxy. */
      connection->key = self->config->trust_proxy
        ? g_strdup ("proxy")
        : client_key (soup_server_message_get_remote_host (msg));
      g_object_weak_ref (G_OBJECT (socket), on_socket_gone, connection);
      connection->owns_ref = listener_leaks_sockets ();
      g_hash_table_insert (self->connections, socket, connection);

      count = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, connection->key)) + 1;
      g_hash_table_insert (self->per_address, g_strdup (connection->key), GUINT_TO_POINTER (count));
      if (!self->config->trust_proxy && count > self->config->max_connections_per_ip)
        {
          /* Some may have closed since the last sweep. */
          forget_closed_connections (self);
          count = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, connection->key));
        }
      if (!self->config->trust_proxy && count > self->config->max_connections_per_ip)
        {
          g_debug ("Too many connections from %s: closing one", connection->key);
          shut_down (connection);
          return;
        }
    }

  stop_idle_watch (connection);
  connection->deadline = g_get_monotonic_time () +
                         (gint64) self->config->request_timeout * G_USEC_PER_SEC;
}

static void
on_request_done (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  CompanionLimits *self = user_data;
  Connection *connection = lookup_connection (self, msg);

  if (connection != NULL && connection->socket != NULL)
    {
      connection->deadline = g_get_monotonic_time () +
                             (gint64) self->config->idle_timeout * G_USEC_PER_SEC;
      /* Not over TLS: libsoup can read a close_notify before the hang-up
       * is seen (untested there; TLS connections leak more anyway). */
      if (idle_close_leaks () && !soup_server_is_https (server) && may_keep_alive (msg))
        watch_idle (connection, msg);
    }
}

void
companion_limits_keep_open (CompanionLimits   *self,
                            SoupServerMessage *msg)
{
  Connection *connection;

  g_return_if_fail (COMPANION_IS_LIMITS (self));

  connection = lookup_connection (self, msg);
  if (connection != NULL)
    connection->deadline = 0;
}

static gboolean
on_sweep (gpointer user_data)
{
  CompanionLimits *self = user_data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Connection *connection;

  forget_closed_connections (self);
  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &connection))
    if (connection->deadline != 0 && connection->deadline <= now)
      {
        g_debug ("Connection from %s timed out", connection->key);
        /* An idle one is taken from libsoup, which would keep it (and
         * its descriptor) after a plain shutdown; the next sweep forgets it. */
        if (connection->idle_msg != NULL)
          release_idle (connection);
        else
          shut_down (connection);
      }

  if (++self->ticks % 60 == 0)
    {
      forget_full_buckets (self->start_buckets, self->config->max_starts_per_minute, now);
      forget_full_buckets (self->failure_buckets, self->config->max_failures_per_minute, now);
    }
  return G_SOURCE_CONTINUE;
}

void
companion_limits_watch_server (CompanionLimits *self,
                               SoupServer      *server)
{
  g_return_if_fail (COMPANION_IS_LIMITS (self));
  g_return_if_fail (SOUP_IS_SERVER (server));

  g_signal_connect_object (server, "request-started", G_CALLBACK (on_request_started), self, 0);
  g_signal_connect_object (server, "request-finished", G_CALLBACK (on_request_done), self, 0);
  g_signal_connect_object (server, "request-aborted", G_CALLBACK (on_request_done), self, 0);

  if (self->sweep_id == 0)
    self->sweep_id = g_timeout_add_seconds (1, on_sweep, self);
}

guint
companion_limits_get_n_connections (CompanionLimits *self)
{
  g_return_val_if_fail (COMPANION_IS_LIMITS (self), 0);
  return g_hash_table_size (self->connections);
}

/* ---- life cycle ------------------------------------------------------------ */

CompanionLimits *
companion_limits_new (const CompanionConfig *config,
                      CompanionStore        *store)
{
  CompanionLimits *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (COMPANION_IS_STORE (store), NULL);

  self = g_object_new (COMPANION_TYPE_LIMITS, NULL);
  self->config = config;
  self->store = g_object_ref (store);
  return self;
}

static void
companion_limits_dispose (GObject *object)
{
  CompanionLimits *self = (CompanionLimits *) object;

  g_clear_handle_id (&self->sweep_id, g_source_remove);
  /* Drops the weak references to sockets libsoup may still hold. */
  g_hash_table_remove_all (self->connections);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (companion_limits_parent_class)->dispose (object);
}

static void
companion_limits_finalize (GObject *object)
{
  CompanionLimits *self = (CompanionLimits *) object;

  g_hash_table_unref (self->start_buckets);
  g_hash_table_unref (self->failure_buckets);
  g_hash_table_unref (self->connections);
  g_hash_table_unref (self->per_address);

  G_OBJECT_CLASS (companion_limits_parent_class)->finalize (object);
}

static void
companion_limits_class_init (CompanionLimitsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = companion_limits_dispose;
  object_class->finalize = companion_limits_finalize;
}

static void
companion_limits_init (CompanionLimits *self)
{
  self->start_buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->failure_buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->connections = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                             (GDestroyNotify) connection_free);
  self->per_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}
