/* companion-config.h: the settings of `crossing-companion serve`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every setting is a command-line flag and the key of the same name in the
 * [serve] group of an optional GKeyFile (--config FILE); a flag wins.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define COMPANION_DEFAULT_PORT 8787

typedef struct {
  char     *listen_host;          /* "127.0.0.1" */
  guint     listen_port;          /* 0 picks a free port */
  char     *public_url;           /* NULL: derived from the listening address */
  char     *base_path;            /* "/api/auth" */
  char     *db_path;
  char     *app_name;
  guint     order_ttl;            /* seconds */
  guint     finalize_grace;       /* seconds */
  guint     session_ttl;          /* seconds */
  guint     nimiq_nonce_ttl;      /* seconds a Nimiq sign-in nonce lives */
  GStrv     trusted_origins;      /* NULL: only the public origin */
  gboolean  registration_open;
  gboolean  check_code;
  gboolean  metrics;              /* {basePath}/metrics, loopback only */
  char     *claim_path_template;  /* {publicUrl}, {orderId}, {claimToken} */
  char     *tls_cert;
  char     *tls_key;
  gboolean  trust_proxy;
  guint     max_streams;
  guint     max_streams_per_order;
  guint     max_pending_orders;
  guint     max_starts_per_minute;     /* per client address (IPv6: per /64) */
  guint     max_failures_per_minute;   /* failed token checks, per client address */
  guint     max_connections_per_ip;    /* not applied with trust_proxy */
  guint     request_timeout;           /* seconds to send a request and read the answer */
  guint     idle_timeout;              /* seconds a kept-alive connection may idle */
  char     *mobile_qr_return_to;              /* "/" */
  char     *mobile_qr_signing_path_template;  /* {challengeId}, after the public URL */
  gboolean  mobile_qr_check_code;             /* off: the seed's phone sends none */

  /* issue 14: polling, user codes, request context */
  guint     poll_interval;                    /* seconds, the status interval to start with */
  guint     max_user_codes;                   /* live user codes at once */
  guint     user_code_misses_per_minute_per_ip;  /* per IPv4 address / IPv6 /64 */
  guint     user_code_misses_per_minute;      /* across every companion on the store */
  char     *geoip_db;                         /* a MaxMind-format city database, or NULL */

  /* Derived from public_url by companion_config_set_listening_url(). */
  char     *public_origin;        /* "scheme://host[:port]" */
  char     *public_prefix;        /* the URL's path, "" or "/sub" */
} CompanionConfig;

CompanionConfig *companion_config_new_default (void);
void             companion_config_free        (CompanionConfig  *config);

/* Parses the serve flags (and --config FILE) from @argv. On a bad flag or
 * value, returns FALSE with a one-line message naming it. */
gboolean         companion_config_parse       (CompanionConfig  *config,
                                               int              *argc,
                                               char           ***argv,
                                               GError          **error);

/* Once the port is known: fills public_url when none was given, and the
 * public origin and prefix. */
void             companion_config_set_listening_url (CompanionConfig *config,
                                                     const char      *url);

gboolean         companion_config_is_trusted_origin (const CompanionConfig *config,
                                                     const char            *origin);

/* Every subcommand's --version: prints "crossing-companion VERSION" and exits. */
gboolean         companion_print_version (const char  *option_name,
                                          const char  *value,
                                          gpointer     data,
                                          GError     **error);

#define COMPANION_VERSION_ENTRY \
  { "version", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, (gpointer) companion_print_version, \
    "Show the version and exit", NULL }

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionConfig, companion_config_free)

G_END_DECLS
