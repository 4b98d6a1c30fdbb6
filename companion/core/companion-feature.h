/* companion-feature.h: how a feature plugs into the core
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A feature (features/cross-device, features/nimiq, ...) is one
 * CompanionFeature: its routes, the state they share, its timers and its
 * command-line subcommands. The core knows them from one static list
 * (companion-features.c); adding a feature is adding a line there.
 */
#pragma once

#include "companion-reply.h"
#include "companion-request.h"

G_BEGIN_DECLS

/* Fills @reply and returns TRUE, or returns FALSE with @error set. */
typedef gboolean (*CompanionHandler) (gpointer           state,
                                      CompanionRequest  *request,
                                      CompanionReply    *reply,
                                      GError           **error);

typedef enum {
  /* The path is under {basePath}; with PUBLIC it is from the site's root. */
  COMPANION_ROUTE_PUBLIC       = 1 << 0,
  /* The path is a prefix ending in '/'; the rest is in request->rest. */
  COMPANION_ROUTE_PREFIX       = 1 << 1,
  /* The body must be a JSON object (request->body). */
  COMPANION_ROUTE_JSON_BODY    = 1 << 2,
  /* ...or empty, which reads as {} (no Content-Type needed then). */
  COMPANION_ROUTE_EMPTY_BODY   = 1 << 3,
  /* Counts against max-starts-per-minute of the client address. */
  COMPANION_ROUTE_LIMIT_STARTS = 1 << 4,
  /* Checks a secret: refused while the address is over its failed-attempt
   * allowance, and a 401 or 404 answer counts as one failure. */
  COMPANION_ROUTE_CHECKS_TOKEN = 1 << 5,
  /* With JSON_BODY: a body the core refuses (413, 415, 400) is not
   * answered at once but handed to the handler in request->body_error, for
   * a contract whose order of checks puts something before the body (the
   * ledger: mutations on, then credentials). */
  COMPANION_ROUTE_DEFER_BODY   = 1 << 6,
} CompanionRouteFlags;

typedef struct {
  const char          *method;    /* "GET", "POST", ... */
  const char          *path;      /* "/cross-device/start" */
  CompanionRouteFlags  flags;
  CompanionHandler     handler;
} CompanionRoute;

typedef struct {
  const char *name;
  int       (*run) (int argc, char **argv);
  const char *summary;
} CompanionCommand;

/* *INDENT-OFF* */
typedef struct {
  const char             *name;
  /* Once the companion listens (the public URL is known). */
  gpointer              (*create)   (CompanionCore *core,
                                     GError       **error);
  /* Arms the feature's timers for what the store already holds. */
  void                  (*start)    (gpointer       state);
  void                  (*destroy)  (gpointer       state);
  const CompanionRoute   *routes;
  gsize                   n_routes;
  const CompanionCommand *commands;
  gsize                   n_commands;
} CompanionFeature;
/* *INDENT-ON* */

/* The features, in the order their routes are matched; NULL-terminated. */
extern const CompanionFeature *const companion_features[];

G_END_DECLS
