/* companion-pages.h: serving a feature's bundled pages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A feature's HTML, scripts and styles are compiled into the program as a
 * GResource. A request names one of them only by matching an entry of the
 * feature's table exactly, so no request path is ever turned into a file
 * name and nothing outside the bundle can be served.
 */
#pragma once

#include <gio/gio.h>

#include "companion-reply.h"

G_BEGIN_DECLS

/* One bundled file: @path in @resource, known to exist (a missing one is a
 * bug of the build, not of the request). */
GBytes *companion_page_lookup   (GResource      *resource,
                                 const char     *path);

/* The HTML at @path with each "@NAME@" of @markers (pairs of marker and
 * value, NULL-terminated) replaced by the value, escaped for an attribute:
 * pages read their settings from meta elements, so no script is inlined. */
void    companion_reply_set_html (CompanionReply *reply,
                                  GResource      *resource,
                                  const char     *path,
                                  const char     *const *markers);

/* The file at @path as @content_type. */
void    companion_reply_set_asset (CompanionReply *reply,
                                   GResource      *resource,
                                   const char     *path,
                                   const char     *content_type);

G_END_DECLS
