// The web UI of `barrage serve` (issue 13 item 7): plain HTML, JS and CSS from service/web/,
// embedded into the binary at build time (service/web/embed.cmake), served by the same router
// as the API but outside /api/v1 (docs/service.md, "Web UI").
//
//   GET /            index.html, with a fresh CSP nonce per response
//   GET /ui/{file}   app.js, app.css with their exact content types; any other name 404
//
// Every answer (404 included) carries Cache-Control: no-cache, X-Content-Type-Options:
// nosniff, Referrer-Policy: no-referrer and a Content-Security-Policy for a same-origin app:
// scripts and styles from 'self' only (plus the page's nonce, which the app hands to the run
// report it shows in a sandboxed srcdoc frame: such a frame inherits the page's policy), no
// framing of the UI (frame-ancestors 'none'). The files need no token: the app asks for one
// and sends it with every API call.
//
// Thread-safety: the handlers share only the embedded bytes (read-only).
#ifndef BARRAGE_SERVICE_WEB_UI_H_
#define BARRAGE_SERVICE_WEB_UI_H_

#include <span>
#include <string_view>

#include "service/api.h"

namespace barrage {

// One file of service/web/ as built into the binary.
struct WebUiFile {
  std::string_view name;  // "app.js"
  std::string_view bytes;
};

// The embedded files (the generated web_ui_files.cc), in service/web/'s order.
std::span<const WebUiFile> WebUiFiles();

// Adds GET / and GET /ui/{file} to `router`.
void AddWebUiRoutes(ApiRouter* router);

}  // namespace barrage

#endif  // BARRAGE_SERVICE_WEB_UI_H_
