/* test-routes.c: the route table answers what it does not serve
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Walks the real table (the core's routes and every feature's), so a route
 * a feature adds is covered without touching this file.
 */
#include "config.h"

#include <string.h>

#include "companion-core-private.h"
#include "companion-feature.h"
#include "companion-test-utils.h"

#define SOME_ID "AAAAAAAAAAAAAAAAAAAAAA"

static const char *const methods[] = { "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD" };

typedef struct {
  const CompanionRoute *route;
  char                 *url_path;
} RouteCase;

static void
route_case_free (RouteCase *c)
{
  g_free (c->url_path);
  g_free (c);
}

/* Every route of the table with the URL path that reaches it. */
static GPtrArray *
all_routes (void)
{
  GPtrArray *cases = g_ptr_array_new_with_free_func ((GDestroyNotify) route_case_free);

  for (gsize i = 0; i == 0 || companion_features[i - 1] != NULL; i++)
    {
      const CompanionRoute *routes = i == 0 ? companion_core_routes
                                            : companion_features[i - 1]->routes;
      gsize n = i == 0 ? companion_core_n_routes : companion_features[i - 1]->n_routes;

      for (gsize j = 0; j < n; j++)
        {
          RouteCase *c = g_new0 (RouteCase, 1);
          const char *root = (routes[j].flags & COMPANION_ROUTE_PUBLIC) ? "" : "/api/auth";
          const char *tail = (routes[j].flags & COMPANION_ROUTE_PREFIX) ? SOME_ID : "";

          c->route = &routes[j];
          c->url_path = g_strconcat (root, routes[j].path, tail, NULL);
          g_ptr_array_add (cases, c);
        }
    }
  return cases;
}

static gboolean
path_has_method (GPtrArray  *cases,
                 const char *url_path,
                 const char *method)
{
  for (guint i = 0; i < cases->len; i++)
    {
      RouteCase *c = g_ptr_array_index (cases, i);

      if (strcmp (c->url_path, url_path) == 0 && strcmp (c->route->method, method) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
test_other_methods_get_405_with_allow (CtFixture     *f,
                                       gconstpointer  data)
{
  g_autoptr(GPtrArray) cases = all_routes ();
  guint checked = 0;

  g_assert_cmpuint (cases->len, >, 10);
  for (guint i = 0; i < cases->len; i++)
    {
      RouteCase *c = g_ptr_array_index (cases, i);

      for (gsize m = 0; m < G_N_ELEMENTS (methods); m++)
        {
          g_autoptr(SoupMessage) msg = NULL;
          g_autoptr(CtResponse) response = NULL;
          g_auto(GStrv) allowed = NULL;
          const char *allow;

          if (path_has_method (cases, c->url_path, methods[m]))
            continue;

          msg = ct_message_new (f, methods[m], c->url_path);
          response = ct_send (f, msg);
          g_test_message ("%s %s", methods[m], c->url_path);
          g_assert_cmpuint (response->status, ==, 405);
          if (strcmp (methods[m], "HEAD") != 0)
            ct_response_assert_error (response, 405, "METHOD_NOT_ALLOWED");

          /* Allow names exactly the methods the table has for the path. */
          allow = soup_message_headers_get_one (response->headers, "Allow");
          g_assert_nonnull (allow);
          allowed = g_strsplit (allow, ", ", -1);
          for (guint a = 0; allowed[a] != NULL; a++)
            g_assert_true (path_has_method (cases, c->url_path, allowed[a]));
          for (gsize other = 0; other < G_N_ELEMENTS (methods); other++)
            g_assert_cmpint (path_has_method (cases, c->url_path, methods[other]), ==,
                             g_strv_contains ((const char * const *) allowed, methods[other]));
          checked++;
        }
    }
  g_assert_cmpuint (checked, >, 20);
}

static void
test_unknown_paths_get_404_json (CtFixture     *f,
                                 gconstpointer  data)
{
  static const char *const paths[] = {
    "/api/auth",
    "/api/auth/",
    "/api/auth/nope",
    "/api/auth/cross-device",
    "/api/auth/cross-device/",
    "/api/auth/cross-device/start/",
    "/api/auth/cross-device/START",
    "/api/auth/health/x",
    "/api/authx/health",
    "/health",
    "/cross-device",
    "/cross-device/",
    "/cross-device/start",
    "/",
    "/favicon.ico",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    for (gsize m = 0; m < 2; m++)
      {
        g_autoptr(SoupMessage) msg = ct_message_new (f, m == 0 ? "GET" : "POST", paths[i]);
        g_autoptr(CtResponse) response = ct_send (f, msg);

        g_test_message ("%s %s", m == 0 ? "GET" : "POST", paths[i]);
        ct_response_assert_error (response, 404, "NOT_FOUND");
      }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/companion/routes/other-methods-get-405-with-allow", CtFixture, NULL,
              ct_fixture_setup, test_other_methods_get_405_with_allow, ct_fixture_teardown);
  g_test_add ("/companion/routes/unknown-paths-get-404-json", CtFixture, NULL,
              ct_fixture_setup, test_unknown_paths_get_404_json, ct_fixture_teardown);

  return g_test_run ();
}
