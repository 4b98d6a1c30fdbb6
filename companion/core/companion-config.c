/* companion-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-config"

#include "config.h"

#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crossing-protocol.h"

#include "companion-config.h"

#define CONFIG_GROUP "serve"

/* Written once for companion_config_new_default() and the --help text. */
#define DEFAULT_APP_NAME                 "Crossing"
#define DEFAULT_ORDER_TTL                120
#define DEFAULT_FINALIZE_GRACE           60
#define DEFAULT_SESSION_TTL              604800
#define DEFAULT_NIMIQ_NONCE_TTL          300
#define DEFAULT_CLAIM_PATH_TEMPLATE      "{publicUrl}/cross-device/claim/{orderId}?token={claimToken}"
#define DEFAULT_MAX_STREAMS              20000
#define DEFAULT_MAX_STREAMS_PER_ORDER    8
#define DEFAULT_MAX_PENDING_ORDERS       100000
#define DEFAULT_MAX_STARTS_PER_MINUTE    120
#define DEFAULT_MAX_FAILURES_PER_MINUTE  60
#define DEFAULT_MAX_CONNECTIONS_PER_IP   256
#define DEFAULT_REQUEST_TIMEOUT          20
#define DEFAULT_IDLE_TIMEOUT             60
#define DEFAULT_MOBILE_QR_RETURN_TO      "/"
#define DEFAULT_MOBILE_QR_SIGNING_PATH   "/qr/phone/{challengeId}"
/* issue 14 */
#define DEFAULT_POLL_INTERVAL            3
#define DEFAULT_MAX_USER_CODES           1000
#define DEFAULT_USER_CODE_MISSES_PER_IP  10
#define DEFAULT_USER_CODE_MISSES         60

CompanionConfig *
companion_config_new_default (void)
{
  CompanionConfig *config = g_new0 (CompanionConfig, 1);

  config->listen_host = g_strdup ("127.0.0.1");
  config->listen_port = COMPANION_DEFAULT_PORT;
  config->base_path = g_strdup (CROSSING_DEFAULT_BASE_PATH);
  config->db_path = g_build_filename (g_get_user_state_dir (), "crossing", "companion.db", NULL);
  config->app_name = g_strdup (DEFAULT_APP_NAME);
  config->order_ttl = DEFAULT_ORDER_TTL;
  config->finalize_grace = DEFAULT_FINALIZE_GRACE;
  config->session_ttl = DEFAULT_SESSION_TTL;
  config->nimiq_nonce_ttl = DEFAULT_NIMIQ_NONCE_TTL;
  config->registration_open = TRUE;
  config->check_code = TRUE;
  config->claim_path_template = g_strdup (DEFAULT_CLAIM_PATH_TEMPLATE);
  config->max_streams = DEFAULT_MAX_STREAMS;
  config->max_streams_per_order = DEFAULT_MAX_STREAMS_PER_ORDER;
  config->max_pending_orders = DEFAULT_MAX_PENDING_ORDERS;
  config->max_starts_per_minute = DEFAULT_MAX_STARTS_PER_MINUTE;
  config->max_failures_per_minute = DEFAULT_MAX_FAILURES_PER_MINUTE;
  config->max_connections_per_ip = DEFAULT_MAX_CONNECTIONS_PER_IP;
  config->request_timeout = DEFAULT_REQUEST_TIMEOUT;
  config->idle_timeout = DEFAULT_IDLE_TIMEOUT;
  config->mobile_qr_return_to = g_strdup (DEFAULT_MOBILE_QR_RETURN_TO);
  config->mobile_qr_signing_path_template = g_strdup (DEFAULT_MOBILE_QR_SIGNING_PATH);
  /* issue 14 */
  config->poll_interval = DEFAULT_POLL_INTERVAL;
  config->max_user_codes = DEFAULT_MAX_USER_CODES;
  config->user_code_misses_per_minute_per_ip = DEFAULT_USER_CODE_MISSES_PER_IP;
  config->user_code_misses_per_minute = DEFAULT_USER_CODE_MISSES;
  return config;
}

void
companion_config_free (CompanionConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->listen_host);
  g_free (config->public_url);
  g_free (config->base_path);
  g_free (config->db_path);
  g_free (config->app_name);
  g_strfreev (config->trusted_origins);
  g_free (config->claim_path_template);
  g_free (config->tls_cert);
  g_free (config->tls_key);
  g_free (config->public_origin);
  g_free (config->public_prefix);
  g_free (config->mobile_qr_return_to);
  g_free (config->mobile_qr_signing_path_template);
  g_free (config->geoip_db);
  g_free (config);
}

static gboolean
bad_value (GError     **error,
           const char  *name,
           const char  *value,
           const char  *expected)
{
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "invalid value for --%s: '%s' (%s)", name, value, expected);
  return FALSE;
}

static gboolean
parse_seconds (const char  *name,
               const char  *value,
               guint        max,
               guint       *out,
               GError     **error)
{
  guint64 n;

  if (!g_ascii_string_to_unsigned (value, 10, 1, max, &n, NULL))
    {
      g_autofree char *expected = g_strdup_printf ("expected seconds, 1 to %u", max);
      return bad_value (error, name, value, expected);
    }
  *out = (guint) n;
  return TRUE;
}

static gboolean
parse_count (const char  *name,
             const char  *value,
             guint       *out,
             GError     **error)
{
  guint64 n;

  if (!g_ascii_string_to_unsigned (value, 10, 1, 1000000, &n, NULL))
    return bad_value (error, name, value, "expected a whole number, 1 to 1000000");
  *out = (guint) n;
  return TRUE;
}

static gboolean
parse_switch (const char  *name,
              const char  *value,
              const char  *yes,
              const char  *no,
              gboolean    *out,
              GError     **error)
{
  if (g_strcmp0 (value, yes) == 0)
    *out = TRUE;
  else if (g_strcmp0 (value, no) == 0)
    *out = FALSE;
  else
    {
      g_autofree char *expected = g_strdup_printf ("expected %s or %s", yes, no);
      return bad_value (error, name, value, expected);
    }
  return TRUE;
}

static gboolean
parse_listen (CompanionConfig  *config,
              const char       *value,
              GError          **error)
{
  g_autofree char *host = NULL;
  const char *colon = strrchr (value, ':');
  guint64 port;

  if (colon == NULL || colon == value ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    return bad_value (error, "listen", value, "expected HOST:PORT, e.g. 127.0.0.1:8787");

  host = g_strndup (value, colon - value);
  if (host[0] == '[')
    {
      gsize len = strlen (host);

      if (len < 3 || host[len - 1] != ']')
        return bad_value (error, "listen", value, "expected [IPv6]:PORT");
      memmove (host, host + 1, len - 2);
      host[len - 2] = '\0';
    }

  if (!g_hostname_is_ip_address (host) && g_strcmp0 (host, "localhost") != 0)
    return bad_value (error, "listen", value, "the host must be an IP address or localhost");

  g_free (config->listen_host);
  config->listen_host = g_steal_pointer (&host);
  config->listen_port = (guint) port;
  return TRUE;
}

/* An http(s) URL with a host, no query or fragment; any trailing slash is
 * dropped. */
static gboolean
parse_url (const char  *name,
           const char  *value,
           gboolean     origin_only,
           char       **out,
           GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
  const char *scheme;
  gsize len;

  if (uri == NULL)
    return bad_value (error, name, value, "expected an http or https URL");

  scheme = g_uri_get_scheme (uri);
  if ((g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL ||
      g_uri_get_userinfo (uri) != NULL)
    return bad_value (error, name, value, "expected an http or https URL without query");

  if (origin_only && g_strcmp0 (g_uri_get_path (uri), "") != 0 &&
      g_strcmp0 (g_uri_get_path (uri), "/") != 0)
    return bad_value (error, name, value, "expected an origin, scheme://host[:port]");

  *out = g_strdup (value);
  len = strlen (*out);
  while (len > 0 && (*out)[len - 1] == '/')
    (*out)[--len] = '\0';
  return TRUE;
}

static gboolean
parse_path (const char  *name,
            const char  *value,
            char       **out,
            GError     **error)
{
  gsize len = strlen (value);

  if (value[0] != '/' || strstr (value, "//") != NULL || strpbrk (value, "?#%\\ ") != NULL ||
      !crossing_string_is_clean (value))
    return bad_value (error, name, value, "expected a path such as /api/auth");

  *out = g_strdup (value);
  while (len > 1 && (*out)[len - 1] == '/')
    (*out)[--len] = '\0';
  if (strcmp (*out, "/") == 0)
    (*out)[0] = '\0';
  return TRUE;
}

/* Applies one setting by its flag name. */
static gboolean
apply (CompanionConfig  *config,
       const char       *name,
       const char       *value,
       GError          **error)
{
  if (strcmp (name, "listen") == 0)
    return parse_listen (config, value, error);
  if (strcmp (name, "public-url") == 0)
    {
      g_clear_pointer (&config->public_url, g_free);
      return parse_url (name, value, FALSE, &config->public_url, error);
    }
  if (strcmp (name, "base-path") == 0)
    {
      g_clear_pointer (&config->base_path, g_free);
      return parse_path (name, value, &config->base_path, error);
    }
  if (strcmp (name, "db") == 0)
    {
      if (*value == '\0')
        return bad_value (error, name, value, "expected a file path");
      g_free (config->db_path);
      config->db_path = g_strdup (value);
      return TRUE;
    }
  if (strcmp (name, "app-name") == 0)
    {
      if (*value == '\0' || g_utf8_strlen (value, -1) > 64 || !crossing_string_is_clean (value))
        return bad_value (error, name, value, "expected 1 to 64 printable characters");
      g_free (config->app_name);
      config->app_name = g_strdup (value);
      return TRUE;
    }
  if (strcmp (name, "order-ttl") == 0)
    return parse_seconds (name, value, 86400, &config->order_ttl, error);
  if (strcmp (name, "finalize-grace") == 0)
    return parse_seconds (name, value, 86400, &config->finalize_grace, error);
  if (strcmp (name, "session-ttl") == 0)
    return parse_seconds (name, value, 366 * 86400, &config->session_ttl, error);
  if (strcmp (name, "nimiq-nonce-ttl") == 0)
    return parse_seconds (name, value, 86400, &config->nimiq_nonce_ttl, error);
  if (strcmp (name, "registration") == 0)
    return parse_switch (name, value, "open", "closed", &config->registration_open, error);
  if (strcmp (name, "check-code") == 0)
    return parse_switch (name, value, "on", "off", &config->check_code, error);
  if (strcmp (name, "metrics") == 0)
    return parse_switch (name, value, "on", "off", &config->metrics, error);
  if (strcmp (name, "claim-path-template") == 0)
    {
      if (strstr (value, "{orderId}") == NULL || strstr (value, "{claimToken}") == NULL ||
          !crossing_string_is_clean (value))
        return bad_value (error, name, value, "it must contain {orderId} and {claimToken}");
      g_free (config->claim_path_template);
      config->claim_path_template = g_strdup (value);
      return TRUE;
    }
  if (strcmp (name, "tls-cert") == 0)
    {
      g_free (config->tls_cert);
      config->tls_cert = g_strdup (value);
      return TRUE;
    }
  if (strcmp (name, "tls-key") == 0)
    {
      g_free (config->tls_key);
      config->tls_key = g_strdup (value);
      return TRUE;
    }
  if (strcmp (name, "max-streams") == 0)
    return parse_count (name, value, &config->max_streams, error);
  if (strcmp (name, "max-streams-per-order") == 0)
    return parse_count (name, value, &config->max_streams_per_order, error);
  if (strcmp (name, "max-pending-orders") == 0)
    return parse_count (name, value, &config->max_pending_orders, error);
  if (strcmp (name, "max-starts-per-minute") == 0)
    return parse_count (name, value, &config->max_starts_per_minute, error);
  if (strcmp (name, "max-failures-per-minute") == 0)
    return parse_count (name, value, &config->max_failures_per_minute, error);
  if (strcmp (name, "max-connections-per-ip") == 0)
    return parse_count (name, value, &config->max_connections_per_ip, error);
  if (strcmp (name, "request-timeout") == 0)
    return parse_seconds (name, value, 3600, &config->request_timeout, error);
  if (strcmp (name, "idle-timeout") == 0)
    return parse_seconds (name, value, 3600, &config->idle_timeout, error);
  if (strcmp (name, "mobile-qr-return-to") == 0)
    {
      if (!crossing_return_to_is_allowed (value) || g_utf8_strlen (value, -1) > 2048 ||
          !crossing_string_is_clean (value))
        return bad_value (error, name, value, "expected a relative path such as /");
      g_free (config->mobile_qr_return_to);
      config->mobile_qr_return_to = g_strdup (value);
      return TRUE;
    }
  if (strcmp (name, "mobile-qr-signing-path-template") == 0)
    {
      if (value[0] != '/' || value[1] == '/' || strstr (value, "{challengeId}") == NULL ||
          strpbrk (value, "\\ ") != NULL || !crossing_string_is_clean (value))
        return bad_value (error, name, value, "a path that contains {challengeId}");
      g_free (config->mobile_qr_signing_path_template);
      config->mobile_qr_signing_path_template = g_strdup (value);
      return TRUE;
    }
  if (strcmp (name, "mobile-qr-check-code") == 0)
    return parse_switch (name, value, "on", "off", &config->mobile_qr_check_code, error);
  /* issue 14 */
  if (strcmp (name, "poll-interval") == 0)
    return parse_seconds (name, value, 30, &config->poll_interval, error);
  if (strcmp (name, "max-user-codes") == 0)
    return parse_count (name, value, &config->max_user_codes, error);
  if (strcmp (name, "user-code-misses-per-minute-per-ip") == 0)
    return parse_count (name, value, &config->user_code_misses_per_minute_per_ip, error);
  if (strcmp (name, "user-code-misses-per-minute") == 0)
    return parse_count (name, value, &config->user_code_misses_per_minute, error);
  if (strcmp (name, "geoip-db") == 0)
    {
      if (*value == '\0')
        return bad_value (error, name, value, "expected a file path");
      g_free (config->geoip_db);
      config->geoip_db = g_strdup (value);
      return TRUE;
    }

  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, "unknown setting '%s'", name);
  return FALSE;
}

/* The serve options that take a value, as flags and as keys of the [serve]
 * group; every default here is the one companion_config_new_default() sets. */
static const struct {
  const char *name;
  const char *arg;
  const char *description;
} value_settings[] = {
  { "listen", "HOST:PORT",
    "Address to listen on (default 127.0.0.1:" G_STRINGIFY (COMPANION_DEFAULT_PORT) ")" },
  { "public-url", "URL",
    "Public URL of the companion, used in claim links (default: http://HOST:PORT of --listen)" },
  { "base-path", "PATH", "Path of the auth API (default " CROSSING_DEFAULT_BASE_PATH ")" },
  { "db", "PATH", "SQLite database file (default $XDG_STATE_HOME/crossing/companion.db)" },
  { "app-name", "NAME", "Name shown to the phone (default " DEFAULT_APP_NAME ")" },
  { "order-ttl", "SECONDS",
    "Seconds an order lives (default " G_STRINGIFY (DEFAULT_ORDER_TTL) ")" },
  { "finalize-grace", "SECONDS",
    "Seconds an approved order stays finalizable (default " G_STRINGIFY (DEFAULT_FINALIZE_GRACE) ")" },
  { "session-ttl", "SECONDS",
    "Seconds a session lives (default " G_STRINGIFY (DEFAULT_SESSION_TTL) ", 7 days)" },
  { "nimiq-nonce-ttl", "SECONDS",
    "Seconds a Nimiq sign-in nonce lives (default " G_STRINGIFY (DEFAULT_NIMIQ_NONCE_TTL) ")" },
  { "registration", "open|closed", "May keys with no user sign in (default open)" },
  { "check-code", "on|off", "Ask the phone for the desktop's check code (default on)" },
  { "metrics", "on|off",
    "Serve Prometheus metrics at BASE-PATH/metrics, to loopback only (default off)" },
  { "claim-path-template", "TEMPLATE",
    "Claim link with {publicUrl} {orderId} {claimToken} (default " DEFAULT_CLAIM_PATH_TEMPLATE ")" },
  { "tls-cert", "PATH", "TLS certificate (PEM) to serve https (default none: plain http)" },
  { "tls-key", "PATH", "TLS private key (PEM), with --tls-cert (default none)" },
  { "max-streams", "COUNT",
    "Open event streams allowed in total (default " G_STRINGIFY (DEFAULT_MAX_STREAMS) ")" },
  { "max-streams-per-order", "COUNT",
    "Open event streams allowed per order (default " G_STRINGIFY (DEFAULT_MAX_STREAMS_PER_ORDER) ")" },
  { "max-pending-orders", "COUNT",
    "Orders not yet finished allowed at once (default " G_STRINGIFY (DEFAULT_MAX_PENDING_ORDERS) ")" },
  { "max-starts-per-minute", "COUNT",
    "Orders one client address may start per minute (default " G_STRINGIFY (DEFAULT_MAX_STARTS_PER_MINUTE) ")" },
  { "max-failures-per-minute", "COUNT",
    "Failed token checks one client address may make per minute (default " G_STRINGIFY (DEFAULT_MAX_FAILURES_PER_MINUTE) ")" },
  { "max-connections-per-ip", "COUNT",
    "Open connections per client address, off with --trust-proxy (default " G_STRINGIFY (DEFAULT_MAX_CONNECTIONS_PER_IP) ")" },
  { "request-timeout", "SECONDS",
    "Seconds to send a request and read the answer (default " G_STRINGIFY (DEFAULT_REQUEST_TIMEOUT) ")" },
  { "idle-timeout", "SECONDS",
    "Seconds a kept-alive connection may idle (default " G_STRINGIFY (DEFAULT_IDLE_TIMEOUT) ")" },
  { "mobile-qr-return-to", "PATH",
    "Where a mobile-QR sign-in lands without returnTo (default " DEFAULT_MOBILE_QR_RETURN_TO ")" },
  { "mobile-qr-signing-path-template", "TEMPLATE",
    "Mobile-QR signing link after the public URL, with {challengeId} (default "
    DEFAULT_MOBILE_QR_SIGNING_PATH ")" },
  { "mobile-qr-check-code", "on|off",
    "Ask the phone for a check code on mobile-QR sign-ins (default off)" },
  /* issue 14 */
  { "poll-interval", "SECONDS",
    "Seconds between status polls an order starts with, 1 to 30 (default "
    G_STRINGIFY (DEFAULT_POLL_INTERVAL) ")" },
  { "max-user-codes", "COUNT",
    "User codes (typed instead of scanned) live at once; past it orders get none (default "
    G_STRINGIFY (DEFAULT_MAX_USER_CODES) ")" },
  { "user-code-misses-per-minute-per-ip", "COUNT",
    "Wrong user codes one client address may try per minute (default "
    G_STRINGIFY (DEFAULT_USER_CODE_MISSES_PER_IP) ")" },
  { "user-code-misses-per-minute", "COUNT",
    "Wrong user codes all clients together may try per minute, counted in the store (default "
    G_STRINGIFY (DEFAULT_USER_CODE_MISSES) ")" },
  { "geoip-db", "FILE",
    "MaxMind-format city database (.mmdb) for the requester's location shown to the phone, "
    "reopened on SIGHUP (default none: no location)" },
};

static gboolean
add_trusted_origins (CompanionConfig  *config,
                     char            **values,
                     GError          **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (config->trusted_origins != NULL)
    g_strv_builder_addv (builder, (const char **) config->trusted_origins);

  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    {
      g_autofree char *origin = NULL;

      if (!parse_url ("trusted-origin", values[i], TRUE, &origin, error))
        return FALSE;
      g_strv_builder_add (builder, origin);
    }

  g_strfreev (config->trusted_origins);
  config->trusted_origins = g_strv_builder_end (builder);
  return TRUE;
}

static gboolean
load_file (CompanionConfig  *config,
           const char       *path,
           GError          **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) keys = NULL;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "cannot read --config %s: %s", path, local_error->message);
      return FALSE;
    }

  keys = g_key_file_get_keys (file, CONFIG_GROUP, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autoptr(GError) key_error = NULL;

      if (strcmp (keys[i], "trusted-origin") == 0)
        {
          g_auto(GStrv) values = g_key_file_get_string_list (file, CONFIG_GROUP, keys[i], NULL,
                                                             NULL);
          if (!add_trusted_origins (config, values, &key_error))
            goto bad;
        }
      else if (strcmp (keys[i], "trust-proxy") == 0)
        {
          config->trust_proxy = g_key_file_get_boolean (file, CONFIG_GROUP, keys[i], &key_error);
          if (key_error != NULL)
            goto bad;
        }
      else
        {
          g_autofree char *value = g_key_file_get_string (file, CONFIG_GROUP, keys[i], NULL);

          if (value == NULL || !apply (config, keys[i], value, &key_error))
            goto bad;
        }
      continue;

    bad:
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s, key %s: %s", path,
                   keys[i], key_error != NULL ? key_error->message : "not a string");
      return FALSE;
    }

  return TRUE;
}

gboolean
companion_config_parse (CompanionConfig   *config,
                        int               *argc,
                        char            ***argv,
                        GError           **error)
{
  char *values[G_N_ELEMENTS (value_settings)] = { NULL, };
  g_autofree char *config_file = NULL;
  g_auto(GStrv) trusted = NULL;
  gboolean trust_proxy = FALSE;
  g_autoptr(GOptionContext) context = NULL;
  GOptionEntry entries[G_N_ELEMENTS (value_settings) + 5];
  gboolean ok = FALSE;
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (value_settings); i++)
    {
      GOptionEntry entry = { value_settings[i].name, 0, 0, G_OPTION_ARG_STRING, &values[i],
                             value_settings[i].description, value_settings[i].arg };

      entries[n++] = entry;
    }
  entries[n++] = (GOptionEntry) { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_file,
                                  "Read settings from the [serve] group of FILE (default none)", "FILE" };
  entries[n++] = (GOptionEntry) { "trusted-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &trusted,
                                  "Another origin allowed to start orders, repeatable (default: only the "
                                  "public URL's)", "ORIGIN" };
  entries[n++] = (GOptionEntry) { "trust-proxy", 0, 0, G_OPTION_ARG_NONE, &trust_proxy,
                                  "Take the client address from X-Forwarded-For (a flag; default off)", NULL };
  entries[n++] = (GOptionEntry) COMPANION_VERSION_ENTRY;
  entries[n++] = (GOptionEntry) { NULL };


  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, "Serve the cross-device sign-in API and the phone page.");
  g_option_context_set_help_enabled (context, TRUE);
  g_option_context_add_main_entries (context, entries, NULL);

  if (!g_option_context_parse (context, argc, argv, error))
    goto out;

  if (*argc > 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "unexpected argument '%s'",
                   (*argv)[1]);
      goto out;
    }

  if (config_file != NULL && !load_file (config, config_file, error))
    goto out;

  for (guint i = 0; i < G_N_ELEMENTS (value_settings); i++)
    if (values[i] != NULL && !apply (config, value_settings[i].name, values[i], error))
      goto out;

  if (trusted != NULL && !add_trusted_origins (config, trusted, error))
    goto out;
  if (trust_proxy)
    config->trust_proxy = TRUE;

  if ((config->tls_cert == NULL) != (config->tls_key == NULL))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--tls-cert and --tls-key go together");
      goto out;
    }

  ok = TRUE;

out:
  for (guint i = 0; i < G_N_ELEMENTS (value_settings); i++)
    g_free (values[i]);
  return ok;
}

gboolean
companion_print_version (const char  *option_name,
                         const char  *value,
                         gpointer     data,
                         GError     **error)
{
  printf ("crossing-companion %s\n", PACKAGE_VERSION);
  exit (0);
}

void
companion_config_set_listening_url (CompanionConfig *config,
                                    const char      *url)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GUri) origin = NULL;

  if (config->public_url == NULL)
    config->public_url = g_strdup (url);

  /* Both were checked by parse_url() or come from the bound socket. */
  uri = g_uri_parse (config->public_url, G_URI_FLAGS_NONE, NULL);
  g_return_if_fail (uri != NULL);

  origin = g_uri_build (G_URI_FLAGS_NONE, g_uri_get_scheme (uri), NULL, g_uri_get_host (uri),
                        g_uri_get_port (uri), "", NULL, NULL);
  g_free (config->public_origin);
  config->public_origin = g_uri_to_string (origin);

  g_free (config->public_prefix);
  config->public_prefix = strcmp (g_uri_get_path (uri), "/") == 0
    ? g_strdup ("")
    : g_strdup (g_uri_get_path (uri));
}

gboolean
companion_config_is_trusted_origin (const CompanionConfig *config,
                                    const char            *origin)
{
  if (g_strcmp0 (origin, config->public_origin) == 0)
    return TRUE;

  return config->trusted_origins != NULL &&
         g_strv_contains ((const char * const *) config->trusted_origins, origin);
}
