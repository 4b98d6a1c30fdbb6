/* companion-page.c: the phone approval page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Its files are bundled and served by name from the table below
 * (companion-pages.h). Its words come from one message catalog per
 * language (messages-LANG.json in the bundle), picked by Accept-Language:
 * the HTML is rendered with them here, and the catalog itself goes into the
 * page for what the script says.
 */
#define G_LOG_DOMAIN "companion-page"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "crossing-protocol.h"
#include "crossing-token.h"

#include "companion-page.h"
#include "companion-pages.h"
#include "companion-page-resources.h"

#define RESOURCE_DIR   "/dev/crossing/companion/page/"
#define CLAIM_PREFIX   "claim/"
#define CODE_PAGE      "code"

/* At most this many entries of an Accept-Language header are weighed: a
 * real browser sends a handful, and the work stays bounded. */
#define MAX_LANGUAGE_RANGES 32

/* The first is what everyone gets when nothing else fits. */
static const char *const languages[] = { "en", "de" };

static const struct {
  const char *path;          /* relative to {publicPrefix}/cross-device/ */
  const char *file;          /* in the resource bundle */
  const char *content_type;
} assets[] = {
  { "assets/claim.js",  "claim.js",  "text/javascript; charset=utf-8" },
  { "assets/claim.css", "claim.css", "text/css; charset=utf-8" },
  { "assets/icon.svg",  "icon.svg",  "image/svg+xml; charset=utf-8" },
};

const char * const *
companion_page_get_languages (guint *n_languages)
{
  if (n_languages != NULL)
    *n_languages = G_N_ELEMENTS (languages);
  return languages;
}

/* RFC 9110 §12.5.4: "q=" then 0 or 1 with up to three decimals; anything
 * else makes the whole range unusable (-1). */
static double
parse_quality (const char *params)
{
  g_auto(GStrv) parts = g_strsplit (params, ";", 8);
  double q = 1.0;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *param = g_strstrip (parts[i]);
      const char *value;
      gsize len;

      if (*param == '\0')
        continue;
      if (g_ascii_tolower (param[0]) != 'q' || param[1] != '=')
        continue;   /* another parameter: ignored */
      value = param + 2;
      len = strlen (value);
      if (len == 0 || len > 5 || (value[0] != '0' && value[0] != '1'))
        return -1;
      if (len > 1 && value[1] != '.')
        return -1;
      for (gsize j = 2; j < len; j++)
        if (!g_ascii_isdigit (value[j]))
          return -1;
      q = g_ascii_strtod (value, NULL);
      if (q > 1.0)
        return -1;
    }
  return q;
}

/* The supported language @range names, or NULL: "de", "de-CH" and "DE"
 * name German; "*" names the fallback. */
static const char *
match_range (const char *range)
{
  if (strcmp (range, "*") == 0)
    return languages[0];
  for (gsize i = 0; i < G_N_ELEMENTS (languages); i++)
    {
      gsize len = strlen (languages[i]);

      if (g_ascii_strncasecmp (range, languages[i], len) == 0 &&
          (range[len] == '\0' || range[len] == '-'))
        return languages[i];
    }
  return NULL;
}

const char *
companion_page_choose_language (const char *accept_language)
{
  g_auto(GStrv) ranges = NULL;
  const char *best = languages[0];
  double best_q = 0;

  if (accept_language == NULL)
    return best;

  ranges = g_strsplit (accept_language, ",", MAX_LANGUAGE_RANGES + 1);
  for (guint i = 0; ranges[i] != NULL && i < MAX_LANGUAGE_RANGES; i++)
    {
      char *semicolon = strchr (ranges[i], ';');
      const char *language;
      double q = 1.0;

      if (semicolon != NULL)
        {
          q = parse_quality (semicolon + 1);
          *semicolon = '\0';
        }
      language = match_range (g_strstrip (ranges[i]));
      /* Of equal weights the first listed wins; q=0 means "not this one". */
      if (language != NULL && q > best_q)
        {
          best = language;
          best_q = q;
        }
    }
  return best;
}

GBytes *
companion_page_get_catalog (const char *language)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (language != NULL, NULL);

  path = g_strconcat (RESOURCE_DIR "messages-", language, ".json", NULL);
  return companion_page_lookup (companion_page_get_resource (), path);
}

static JsonObject *
parse_catalog (GBytes *catalog)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;
  gsize len;
  const char *data = g_bytes_get_data (catalog, &len);

  /* The catalogs are part of the build and a test parses them: failing
   * here is a bug of the build, as a missing resource is. */
  json_parser_load_from_data (parser, data, (gssize) len, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

/* Each "{{name}}" of @template becomes the value of the setting or the
 * message of that name, escaped for text and attributes alike. */
static GBytes *
render (GBytes             *template,
        const char * const *settings,
        JsonObject         *messages)
{
  gsize len;
  const char *text = g_bytes_get_data (template, &len);
  const char *end = text + len;
  GString *out = g_string_sized_new (len + len / 2);

  while (text < end)
    {
      const char *open = g_strstr_len (text, end - text, "{{");
      const char *close;
      g_autofree char *name = NULL;
      g_autofree char *escaped = NULL;
      const char *value = NULL;

      if (open == NULL)
        break;
      close = g_strstr_len (open + 2, end - open - 2, "}}");
      g_assert (close != NULL);
      g_string_append_len (out, text, open - text);
      name = g_strndup (open + 2, close - open - 2);
      for (gsize i = 0; settings[i] != NULL && value == NULL; i += 2)
        if (strcmp (settings[i], name) == 0)
          value = settings[i + 1];
      if (value == NULL)
        value = json_object_get_string_member_with_default (messages, name, NULL);
      if (value == NULL)
        {
          g_warning ("The page names a message its catalog lacks: %s", name);
          value = "";
        }
      escaped = g_markup_escape_text (value, -1);
      g_string_append (out, escaped);
      text = close + 2;
    }
  g_string_append_len (out, text, end - text);
  return g_string_free_to_bytes (out);
}

static void
serve_html (const char     *screen,
            const char     *assets_base,
            const char     *api_base,
            const char     *accept_language,
            CompanionReply *reply)
{
  const char *language = companion_page_choose_language (accept_language);
  g_autoptr(GBytes) catalog = companion_page_get_catalog (language);
  g_autoptr(JsonObject) messages = parse_catalog (catalog);
  g_autoptr(GBytes) template = NULL;
  g_autoptr(GBytes) page = NULL;
  g_autofree char *catalog_text = g_strndup (g_bytes_get_data (catalog, NULL),
                                             g_bytes_get_size (catalog));
  const char *settings[] = {
    "lang", language,
    "api", api_base,
    "assets", assets_base,
    "screen", screen,
    "catalog", catalog_text,
    NULL,
  };

  template = companion_page_lookup (companion_page_get_resource (), RESOURCE_DIR "claim.html");
  page = render (template, settings, messages);
  companion_reply_set_bytes (reply, SOUP_STATUS_OK, "text/html; charset=utf-8", page);
  companion_reply_set_header (reply, "Content-Language", language);
  companion_reply_set_header (reply, "Vary", "Accept-Language");
}

static gboolean
is_claim_page (const char *rel_path)
{
  return g_str_has_prefix (rel_path, CLAIM_PREFIX) &&
         crossing_token_is_well_formed (rel_path + strlen (CLAIM_PREFIX));
}

void
companion_page_serve (const char     *rel_path,
                      const char     *api_base,
                      const char     *accept_language,
                      CompanionReply *reply)
{
  g_return_if_fail (rel_path != NULL);
  g_return_if_fail (api_base != NULL);
  g_return_if_fail (reply != NULL);

  /* One page for both ways in, the same for every order: the script reads
   * the order from the URL, or asks for the code the computer shows. */
  if (is_claim_page (rel_path))
    {
      serve_html ("claim", "../assets/", api_base, accept_language, reply);
      return;
    }
  if (strcmp (rel_path, CODE_PAGE) == 0)
    {
      serve_html ("code", "assets/", api_base, accept_language, reply);
      return;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (assets); i++)
    {
      if (strcmp (rel_path, assets[i].path) == 0)
        {
          g_autofree char *path = g_strconcat (RESOURCE_DIR, assets[i].file, NULL);

          companion_reply_set_asset (reply, companion_page_get_resource (), path,
                                     assets[i].content_type);
          return;
        }
    }

  companion_reply_set_error_code (reply, CROSSING_ERROR_NOT_FOUND, NULL);
}
