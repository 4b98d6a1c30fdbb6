/* companion-router.h: the route table
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Method + exact path (or a path prefix) -> handler. The 404 for a path no
 * route has and the 405 with its Allow header come from the same table, so
 * they cannot drift from what is served.
 */
#pragma once

#include "companion-feature.h"

G_BEGIN_DECLS

typedef struct _CompanionRouter CompanionRouter;

typedef struct {
  const CompanionRoute *route;
  gpointer              state;
  const char           *owner;   /* the feature's name, or "core" */
} CompanionRouteEntry;

CompanionRouter *companion_router_new    (void);
void             companion_router_free   (CompanionRouter      *router);
/* Adds @n routes of @owner (static), each called with @state. */
void             companion_router_add    (CompanionRouter      *router,
                                          const char           *owner,
                                          const CompanionRoute *routes,
                                          gsize                 n,
                                          gpointer              state);
/* The entry for @method on @path (API paths without PUBLIC, public ones
 * with it); @rest receives what follows a prefix route. NULL when none:
 * then @allow receives the methods the path has ("GET, HEAD"), or NULL
 * when no route has the path at all. */
const CompanionRouteEntry *
companion_router_lookup (CompanionRouter      *router,
                         gboolean              is_public,
                         const char           *method,
                         const char           *path,
                         const char          **rest,
                         char                **allow);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionRouter, companion_router_free)

G_END_DECLS
