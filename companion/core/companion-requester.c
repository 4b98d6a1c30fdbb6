/* companion-requester.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-requester"

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <maxminddb.h>
#include <string.h>

#include "companion-requester.h"

/* ---- device ---------------------------------------------------------------- */

/* Most specific first: Edge, Opera and Samsung Internet also say "Chrome/",
 * and Chrome says "Safari/". */
static const struct {
  const char *token;
  const char *name;
} browsers[] = {
  { "Edg/", "Edge" },
  { "EdgA/", "Edge" },
  { "EdgiOS/", "Edge" },
  { "Edge/", "Edge" },
  { "OPR/", "Opera" },
  { "SamsungBrowser/", "Samsung Internet" },
  { "FxiOS/", "Firefox" },
  { "Firefox/", "Firefox" },
  { "CriOS/", "Chrome" },
  { "Chromium/", "Chromium" },
  { "Chrome/", "Chrome" },
};

/* Android says "Linux" too, and iOS "like Mac OS X". */
static const struct {
  const char *token;
  const char *name;
} systems[] = {
  { "Android", "Android" },
  { "iPhone", "iOS" },
  { "iPod", "iOS" },
  { "iPad", "iPadOS" },
  { "CrOS", "ChromeOS" },
  { "Windows", "Windows" },
  { "Macintosh", "macOS" },
  { "Mac OS X", "macOS" },
  { "Linux", "Linux" },
};

#define CLIENT_PRODUCT "crossing/"

/* "Crossing 1.2" for the desktop client's own "crossing/1.2". */
static char *
crossing_client (const char *user_agent)
{
  const char *version = user_agent + strlen (CLIENT_PRODUCT);
  gsize len = strspn (version, "0123456789.");

  if (len == 0 || len > 16 || (version[len] != '\0' && version[len] != ' '))
    return g_strdup ("Crossing");
  return g_strdup_printf ("Crossing %.*s", (int) len, version);
}

static const char *
browser_of (const char *user_agent)
{
  for (gsize i = 0; i < G_N_ELEMENTS (browsers); i++)
    if (strstr (user_agent, browsers[i].token) != NULL)
      return browsers[i].name;
  /* Safari names its version in "Version/"; a web view does not. */
  if (strstr (user_agent, "Safari/") != NULL && strstr (user_agent, "Version/") != NULL)
    return "Safari";
  return NULL;
}

static const char *
system_of (const char *user_agent)
{
  for (gsize i = 0; i < G_N_ELEMENTS (systems); i++)
    if (strstr (user_agent, systems[i].token) != NULL)
      return systems[i].name;
  return NULL;
}

char *
companion_requester_device (const char *user_agent)
{
  g_autofree char *client = NULL;
  const char *browser;
  const char *system;

  if (user_agent == NULL || *user_agent == '\0')
    return NULL;

  if (g_ascii_strncasecmp (user_agent, CLIENT_PRODUCT, strlen (CLIENT_PRODUCT)) == 0)
    client = crossing_client (user_agent);
  browser = client != NULL ? client : browser_of (user_agent);
  system = system_of (user_agent);

  if (browser != NULL && system != NULL)
    return g_strdup_printf ("%s on %s", browser, system);
  if (browser != NULL)
    return g_strdup (browser);
  return g_strdup (system);
}

/* ---- network --------------------------------------------------------------- */

static gboolean
in_prefix (const guint8 *bytes,
           const guint8 *prefix,
           guint         bits)
{
  guint whole = bits / 8;
  guint rest = bits % 8;

  if (memcmp (bytes, prefix, whole) != 0)
    return FALSE;
  if (rest == 0)
    return TRUE;
  return (bytes[whole] & (guint8) (0xff << (8 - rest))) == prefix[whole];
}

const char *
companion_requester_network (const char *ip)
{
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  static const guint8 cgnat[4] = { 100, 64, 0, 0 };
  static const guint8 unique_local[16] = { 0xfc, };
  g_autoptr(GInetAddress) address = NULL;
  const guint8 *bytes;

  if (ip == NULL || (address = g_inet_address_new_from_string (ip)) == NULL)
    return NULL;

  /* ::ffff:a.b.c.d is an IPv4 client. */
  bytes = g_inet_address_to_bytes (address);
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 &&
      memcmp (bytes, mapped, sizeof mapped) == 0)
    {
      GInetAddress *v4 = g_inet_address_new_from_bytes (bytes + 12, G_SOCKET_FAMILY_IPV4);

      g_object_unref (address);
      address = v4;
      bytes = g_inet_address_to_bytes (address);
    }

  if (g_inet_address_get_is_loopback (address))
    return "loopback";
  if (g_inet_address_get_is_link_local (address))
    return "private";
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4)
    {
      /* 10/8, 172.16/12, 192.168/16, and the carrier-grade NAT space. */
      if (g_inet_address_get_is_site_local (address) || in_prefix (bytes, cgnat, 10))
        return "private";
      return "public";
    }
  /* RFC 4193's fc00::/7 (GLib's site-local is the old fec0::/10). */
  if (in_prefix (bytes, unique_local, 7) || g_inet_address_get_is_site_local (address))
    return "private";
  return "public";
}

/* ---- location -------------------------------------------------------------- */

struct _CompanionGeoip
{
  GObject   parent_instance;

  char     *path;
  MMDB_s    db;
  gboolean  open;
};

G_DEFINE_FINAL_TYPE (CompanionGeoip, companion_geoip, G_TYPE_OBJECT)

static gboolean
open_db (const char  *path,
         MMDB_s      *db,
         GError     **error)
{
  int status = MMDB_open (path, MMDB_MODE_MMAP, db);

  if (status == MMDB_SUCCESS)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot open the GeoIP database %s: %s",
               path, status == MMDB_IO_ERROR ? g_strerror (errno) : MMDB_strerror (status));
  return FALSE;
}

CompanionGeoip *
companion_geoip_open (const char  *path,
                      GError     **error)
{
  g_autoptr(CompanionGeoip) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (COMPANION_TYPE_GEOIP, NULL);
  self->path = g_strdup (path);
  if (!open_db (path, &self->db, error))
    return NULL;
  self->open = TRUE;
  return g_steal_pointer (&self);
}

gboolean
companion_geoip_reopen (CompanionGeoip  *self,
                        GError         **error)
{
  MMDB_s fresh;

  g_return_val_if_fail (COMPANION_IS_GEOIP (self), FALSE);

  if (!open_db (self->path, &fresh, error))
    return FALSE;
  if (self->open)
    MMDB_close (&self->db);
  self->db = fresh;
  self->open = TRUE;
  g_message ("Reopened the GeoIP database %s", self->path);
  return TRUE;
}

/* A UTF-8 string at @path of the entry, or NULL. */
static char *
entry_string (MMDB_entry_s *entry,
              ...)
{
  MMDB_entry_data_s data;
  va_list path;
  int status;

  va_start (path, entry);
  status = MMDB_vget_value (entry, &data, path);
  va_end (path);

  if (status != MMDB_SUCCESS || !data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING ||
      data.data_size == 0 || !g_utf8_validate (data.utf8_string, data.data_size, NULL))
    return NULL;
  return g_strndup (data.utf8_string, data.data_size);
}

CompanionLocation *
companion_geoip_lookup (CompanionGeoip *self,
                        const char     *ip)
{
  g_autoptr(CompanionLocation) location = NULL;
  MMDB_lookup_result_s result;
  int gai_error = 0, mmdb_error = MMDB_SUCCESS;

  g_return_val_if_fail (COMPANION_IS_GEOIP (self), NULL);

  if (!self->open || ip == NULL || !g_hostname_is_ip_address (ip))
    return NULL;

  result = MMDB_lookup_string (&self->db, ip, &gai_error, &mmdb_error);
  if (gai_error != 0 || mmdb_error != MMDB_SUCCESS || !result.found_entry)
    return NULL;

  location = g_new0 (CompanionLocation, 1);
  location->country = entry_string (&result.entry, "country", "iso_code", NULL);
  location->country_name = entry_string (&result.entry, "country", "names", "en", NULL);
  location->city = entry_string (&result.entry, "city", "names", "en", NULL);
  if (location->country == NULL && location->country_name == NULL && location->city == NULL)
    return NULL;
  return g_steal_pointer (&location);
}

void
companion_location_free (CompanionLocation *location)
{
  if (location == NULL)
    return;
  g_free (location->country);
  g_free (location->country_name);
  g_free (location->city);
  g_free (location);
}

static void
companion_geoip_finalize (GObject *object)
{
  CompanionGeoip *self = COMPANION_GEOIP (object);

  if (self->open)
    MMDB_close (&self->db);
  g_free (self->path);

  G_OBJECT_CLASS (companion_geoip_parent_class)->finalize (object);
}

static void
companion_geoip_class_init (CompanionGeoipClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = companion_geoip_finalize;
}

static void
companion_geoip_init (CompanionGeoip *self)
{
}
