// TLS client certificates (issue 10): the keystore JMeter users pass as system properties
// and the Keystore Configuration element that picks a key per user. JMeter's semantics
// (SSLManager, JmeterKeyStore, KeystoreConfig, HTTPHC4Impl):
//
// - The keystore is the file named by the property javax.net.ssl.keyStore (`-D` or `-J`),
//   opened with javax.net.ssl.keyStorePassword ("" when absent); a relative name is taken
//   from the working directory, as the JVM does (cluster workers read the copy the
//   controller shipped). No property: no client certificate is sent.
// - Formats: PKCS#12 (.p12/.pfx, any number of key entries; an entry's alias is its
//   friendlyName, else its 1-based position) and PEM (private keys and certificates in one
//   file; each key pairs with the certificate of its public key, alias = that certificate's
//   subject CN). JKS is refused with the keytool command that converts it.
// - Key entries are numbered from 0 in file order; those from startIndex to endIndex (the
//   Keystore Config's, else the properties https.keyStoreStartIndex/EndIndex, else 0..0:
//   the first key only) are used. None in range: the run does not start.
// - Which key a user presents: with clientCertAliasVarName, the alias named by that
//   variable (absent or unknown: the sample fails, as JMeter's handshake does); otherwise
//   the next of the range in round robin, shared by all users of the worker. A user takes
//   its key at its first HTTPS request and keeps it; with https.use.cached.ssl.context=false
//   it takes one again at each thread-group iteration (JMeter resets the context then).
//   JMeter itself chooses at each full handshake in which the server asks for a certificate
//   (its key manager's chooseClientAlias); its thread keeps the key through the kept-alive
//   connection and through resumed sessions of its per-thread SSL context, which is the same
//   as long as the server resumes sessions (tests/jmeter_compat/README.md, "Keystore").
#ifndef BARRAGE_WORKER_CLIENT_KEYSTORE_H_
#define BARRAGE_WORKER_CLIENT_KEYSTORE_H_

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/functions.h"
#include "common/plan.h"
#include "common/status.h"

namespace barrage {

struct ClientCertificate {
  std::string alias;
  std::string chain_pem;  // the certificate, then the rest of its chain found in the keystore
  std::string key_pem;    // the private key, unencrypted PKCS#8 PEM (kept in memory only)
  std::string subject;    // the certificate's subject, one line (RFC 2253)
};

// The key entries of a keystore, in file order. `type` is javax.net.ssl.keyStoreType ("" =
// from the content); `file_name` names the file in errors.
Result<std::vector<ClientCertificate>> ReadKeystore(std::string_view content, const std::string& password,
                                                    const std::string& type, const std::string& file_name);

class ClientKeystore {
 public:
  // The keystore of a run, per the properties of `boot.run` and the plan's Keystore Configs
  // (the last in plan order wins, as each one's testStarted reconfigures JMeter's
  // SSLManager); null without javax.net.ssl.keyStore.
  static Result<std::unique_ptr<ClientKeystore>> ForRun(const Plan& plan, ThreadContext& boot);

  ClientKeystore(std::vector<ClientCertificate> keys, std::string alias_var, bool per_iteration)
      : keys_(std::move(keys)), alias_var_(std::move(alias_var)), per_iteration_(per_iteration) {}

  // The key a user takes now (see the file comment). The error message is JMeter's
  // exception text. Thread-safe.
  Result<const ClientCertificate*> Choose(ThreadContext& ctx);
  // https.use.cached.ssl.context=false: users choose again at each iteration.
  bool per_iteration() const { return per_iteration_; }
  const std::vector<ClientCertificate>& keys() const { return keys_; }

 private:
  std::vector<ClientCertificate> keys_;  // the entries from startIndex to endIndex
  std::string alias_var_;
  bool per_iteration_;
  std::atomic<size_t> next_{0};
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_CLIENT_KEYSTORE_H_
