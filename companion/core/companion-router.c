/* companion-router.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Exact paths are one hash lookup; the few prefix routes (pages) are tried
 * in order after that.
 */
#define G_LOG_DOMAIN "companion-router"

#include "config.h"

#include <string.h>

#include "companion-router.h"

struct _CompanionRouter
{
  GHashTable *exact[2];     /* path -> GArray of CompanionRouteEntry, [is_public] */
  GArray     *prefixes[2];  /* CompanionRouteEntry */
};

CompanionRouter *
companion_router_new (void)
{
  CompanionRouter *router = g_new0 (CompanionRouter, 1);

  for (guint i = 0; i < 2; i++)
    {
      router->exact[i] = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                (GDestroyNotify) g_array_unref);
      router->prefixes[i] = g_array_new (FALSE, FALSE, sizeof (CompanionRouteEntry));
    }
  return router;
}

void
companion_router_free (CompanionRouter *router)
{
  if (router == NULL)
    return;
  for (guint i = 0; i < 2; i++)
    {
      g_hash_table_unref (router->exact[i]);
      g_array_unref (router->prefixes[i]);
    }
  g_free (router);
}

void
companion_router_add (CompanionRouter      *router,
                      const char           *owner,
                      const CompanionRoute *routes,
                      gsize                 n,
                      gpointer              state)
{
  g_return_if_fail (router != NULL);

  for (gsize i = 0; i < n; i++)
    {
      CompanionRouteEntry entry = { &routes[i], state, owner };
      guint side = (routes[i].flags & COMPANION_ROUTE_PUBLIC) != 0;
      GArray *entries;

      g_assert (routes[i].path[0] == '/');
      if (routes[i].flags & COMPANION_ROUTE_PREFIX)
        {
          g_assert (g_str_has_suffix (routes[i].path, "/"));
          g_array_append_val (router->prefixes[side], entry);
          continue;
        }

      entries = g_hash_table_lookup (router->exact[side], routes[i].path);
      if (entries == NULL)
        {
          entries = g_array_new (FALSE, FALSE, sizeof (CompanionRouteEntry));
          g_hash_table_insert (router->exact[side], (gpointer) routes[i].path, entries);
        }
      for (guint j = 0; j < entries->len; j++)
        g_assert (strcmp (g_array_index (entries, CompanionRouteEntry, j).route->method,
                          routes[i].method) != 0);
      g_array_append_val (entries, entry);
    }
}

/* Notes @entry's method in @allow unless it is there already. */
static void
allow_method (GString              **allow,
              const CompanionRouteEntry *entry)
{
  if (*allow == NULL)
    *allow = g_string_new (entry->route->method);
  else if (strstr ((*allow)->str, entry->route->method) == NULL)
    g_string_append_printf (*allow, ", %s", entry->route->method);
}

const CompanionRouteEntry *
companion_router_lookup (CompanionRouter  *router,
                         gboolean          is_public,
                         const char       *method,
                         const char       *path,
                         const char      **rest,
                         char            **allow)
{
  guint side = is_public ? 1 : 0;
  GString *methods = NULL;
  GArray *entries;

  g_return_val_if_fail (router != NULL, NULL);

  *rest = "";
  *allow = NULL;

  entries = g_hash_table_lookup (router->exact[side], path);
  if (entries == NULL)
    entries = router->prefixes[side];

  for (guint i = 0; i < entries->len; i++)
    {
      const CompanionRouteEntry *entry = &g_array_index (entries, CompanionRouteEntry, i);
      gboolean is_prefix = (entry->route->flags & COMPANION_ROUTE_PREFIX) != 0;

      if (is_prefix && !g_str_has_prefix (path, entry->route->path))
        continue;
      if (strcmp (entry->route->method, method) == 0)
        {
          if (is_prefix)
            *rest = path + strlen (entry->route->path);
          if (methods != NULL)
            g_string_free (methods, TRUE);
          return entry;
        }
      allow_method (&methods, entry);
    }

  if (methods != NULL)
    *allow = g_string_free (methods, FALSE);
  return NULL;
}
