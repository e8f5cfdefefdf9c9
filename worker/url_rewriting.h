// HTTP URL Re-writing Modifier at run time, as JMeter's URLRewritingModifier: before an
// HTTP request, the session id named `argument_name` is looked for in the previous sample's
// response body (the user's previous sample of any kind; none before the user's first
// sample, and then the request is left alone):
// - path extension: ";name=<value>" (value up to one of "'<>& whitespace ; and, with "no
//   question mark", ?), or ";name<value>" with "no equals";
// - otherwise the first of: [;?&]name=<value> (value up to "'<>& whitespace ; \),
//   name="name" ... value="<value>", value="<value>" ... name="name" (an HTML input).
// The first match wins; none gives "". With "cache value" an empty result reuses the last id
// this user found (per modifier).
// The request then gets the id: path extension: any ";name..." segment of the URL path is
// cut (up to the query) and ";name=<value>" (";name<value>" with no equals) appended to the
// path; otherwise every parameter `name` is removed and name=<value> appended (to an
// application/x-www-form-urlencoded body, else to the query), the value URL-encoded when
// "encode" is set.
// Difference: JMeter appends the extension to the sampler's path text, which is after an
// inline query written in the path ("/a?x=1;jsessionid=..."); here it goes to the path.
#ifndef BARRAGE_WORKER_URL_REWRITING_H_
#define BARRAGE_WORKER_URL_REWRITING_H_

#include <string>
#include <string_view>

#include "common/plan.h"
#include "worker/http_request.h"

namespace barrage {

// The session id in `body` (see above); "" when none.
std::string FindSessionId(const UrlRewritingModifier& m, std::string_view name, std::string_view body);

// Adds the id to `request` (see above).
void RewriteRequest(const UrlRewritingModifier& m, std::string_view name, std::string_view value, HttpRequest* request);

}  // namespace barrage

#endif  // BARRAGE_WORKER_URL_REWRITING_H_
