#include "worker/client_keystore.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "common/hash_tree.h"
#include "common/input_file.h"

namespace barrage {

namespace {

struct Freer {
  void operator()(BIO* b) const { BIO_free(b); }
  void operator()(X509* x) const { X509_free(x); }
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  void operator()(PKCS12* p) const { PKCS12_free(p); }
  void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Freer>;

std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string CertPem(X509* x) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), x);
  return BioText(bio.get());
}

std::string KeyPem(EVP_PKEY* k) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr);
  return BioText(bio.get());
}

std::string SubjectLine(X509* x) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
  return BioText(bio.get());
}

std::string CommonName(X509* x) {
  X509_NAME* name = X509_get_subject_name(x);
  int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (i < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return "";
  std::string cn(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return cn;
}

// The key's certificate, then the issuers found among `certs` (each once).
std::string ChainPem(X509* leaf, const std::vector<Owned<X509>>& certs) {
  std::string pem = CertPem(leaf);
  X509* current = leaf;
  std::vector<X509*> used = {leaf};
  for (bool found = true; found;) {
    found = false;
    for (const Owned<X509>& c : certs) {
      if (std::find(used.begin(), used.end(), c.get()) != used.end()) continue;
      if (X509_NAME_cmp(X509_get_issuer_name(current), X509_get_subject_name(c.get())) != 0) continue;
      pem += CertPem(c.get());
      used.push_back(c.get());
      current = c.get();
      found = X509_NAME_cmp(X509_get_issuer_name(current), X509_get_subject_name(current)) != 0;
      break;
    }
  }
  return pem;
}

// PKCS#12's older encryptions (RC2, 3DES with SHA-1) are in OpenSSL 3's legacy provider;
// loaded once, beside the default one, where it is installed.
void LoadLegacyProvider() {
  static std::once_flag once;
  std::call_once(once, [] {
    OSSL_PROVIDER_try_load(nullptr, "legacy", 1);
    ERR_clear_error();
  });
}

std::string AttributeBytes(const PKCS12_SAFEBAG* bag, int nid) {
  const ASN1_TYPE* t = PKCS12_SAFEBAG_get0_attr(bag, nid);
  if (t == nullptr || t->type != V_ASN1_OCTET_STRING) return "";
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(t->value.octet_string)),
                     static_cast<size_t>(ASN1_STRING_length(t->value.octet_string)));
}

Result<std::vector<ClientCertificate>> ReadPkcs12(std::string_view content, const std::string& password,
                                                  const std::string& file_name) {
  LoadLegacyProvider();
  Owned<BIO> in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  Owned<PKCS12> p12(d2i_PKCS12_bio(in.get(), nullptr));
  if (!p12) return Status::InvalidArgument(file_name + ": not a PKCS#12 keystore (" + OpenSslError() + ")");
  const char* pass = password.c_str();
  if (PKCS12_mac_present(p12.get()) && !PKCS12_verify_mac(p12.get(), pass, -1)) {
    if (!password.empty() || !PKCS12_verify_mac(p12.get(), nullptr, 0)) {
      ERR_clear_error();
      return Status::InvalidArgument(file_name + ": keystore password was incorrect (javax.net.ssl.keyStorePassword)");
    }
    pass = nullptr;
  }
  struct KeyEntry {
    Owned<EVP_PKEY> key;
    std::string name, id;
  };
  std::vector<KeyEntry> keys;
  std::vector<Owned<X509>> certs;
  std::vector<std::string> cert_ids;
  STACK_OF(PKCS7)* safes = PKCS12_unpack_authsafes(p12.get());
  if (safes == nullptr) return Status::InvalidArgument(file_name + ": unreadable PKCS#12 (" + OpenSslError() + ")");
  Status failed = Status::Ok();
  for (int i = 0; i < sk_PKCS7_num(safes) && failed.ok(); ++i) {
    PKCS7* p7 = sk_PKCS7_value(safes, i);
    STACK_OF(PKCS12_SAFEBAG)* bags = nullptr;
    int nid = OBJ_obj2nid(p7->type);
    if (nid == NID_pkcs7_data) {
      bags = PKCS12_unpack_p7data(p7);
    } else if (nid == NID_pkcs7_encrypted) {
      bags = PKCS12_unpack_p7encdata(p7, pass, pass == nullptr ? 0 : -1);
    }
    if (bags == nullptr) {
      failed = Status::InvalidArgument(file_name + ": cannot decrypt the PKCS#12 contents (" + OpenSslError() + ")");
      break;
    }
    for (int j = 0; j < sk_PKCS12_SAFEBAG_num(bags); ++j) {
      const PKCS12_SAFEBAG* bag = sk_PKCS12_SAFEBAG_value(bags, j);
      char* friendly = PKCS12_get_friendlyname(const_cast<PKCS12_SAFEBAG*>(bag));
      std::string name = friendly ? friendly : "";
      OPENSSL_free(friendly);
      std::string id = AttributeBytes(bag, NID_localKeyID);
      switch (PKCS12_SAFEBAG_get_nid(bag)) {
        case NID_pkcs8ShroudedKeyBag:
        case NID_keyBag: {
          EVP_PKEY* key = nullptr;
          if (PKCS12_SAFEBAG_get_nid(bag) == NID_keyBag) {
            key = EVP_PKCS82PKEY(PKCS12_SAFEBAG_get0_p8inf(bag));
          } else {
            Owned<PKCS8_PRIV_KEY_INFO> p8(PKCS12_decrypt_skey(bag, pass, pass == nullptr ? 0 : -1));
            if (p8) key = EVP_PKCS82PKEY(p8.get());
          }
          if (key == nullptr) {
            failed =
                Status::InvalidArgument(file_name + ": cannot decrypt the key '" + name + "' (" + OpenSslError() + ")");
            break;
          }
          keys.push_back({Owned<EVP_PKEY>(key), name, id});
          break;
        }
        case NID_certBag: {
          if (PKCS12_SAFEBAG_get_bag_nid(bag) != NID_x509Certificate) break;
          X509* x = PKCS12_SAFEBAG_get1_cert(bag);
          if (x != nullptr) {
            certs.emplace_back(x);
            cert_ids.push_back(id);
          }
          break;
        }
        default: break;
      }
    }
    sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
  }
  sk_PKCS7_pop_free(safes, PKCS7_free);
  if (!failed.ok()) return failed;
  std::vector<ClientCertificate> out;
  for (size_t k = 0; k < keys.size(); ++k) {
    X509* leaf = nullptr;
    for (size_t c = 0; c < certs.size() && leaf == nullptr; ++c) {
      if (!keys[k].id.empty() && cert_ids[c] == keys[k].id) leaf = certs[c].get();
    }
    for (size_t c = 0; c < certs.size() && leaf == nullptr; ++c) {
      if (X509_check_private_key(certs[c].get(), keys[k].key.get()) == 1) leaf = certs[c].get();
    }
    ERR_clear_error();
    std::string alias = keys[k].name.empty() ? std::to_string(k + 1) : keys[k].name;
    if (leaf == nullptr) {
      return Status::InvalidArgument(file_name + ": no certificate chain found for alias: " + alias);
    }
    out.push_back({alias, ChainPem(leaf, certs), KeyPem(keys[k].key.get()), SubjectLine(leaf)});
  }
  return out;
}

Result<std::vector<ClientCertificate>> ReadPem(std::string_view content, const std::string& password,
                                               const std::string& file_name) {
  Owned<BIO> in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(in.get(), nullptr, nullptr, const_cast<char*>(password.c_str()));
  if (infos == nullptr) return Status::InvalidArgument(file_name + ": unreadable PEM (" + OpenSslError() + ")");
  std::vector<Owned<EVP_PKEY>> keys;
  std::vector<Owned<X509>> certs;
  for (int i = 0; i < sk_X509_INFO_num(infos); ++i) {
    X509_INFO* info = sk_X509_INFO_value(infos, i);
    if (info->x509 != nullptr) {
      X509_up_ref(info->x509);
      certs.emplace_back(info->x509);
    }
    if (info->x_pkey != nullptr && info->x_pkey->dec_pkey != nullptr) {
      EVP_PKEY_up_ref(info->x_pkey->dec_pkey);
      keys.emplace_back(info->x_pkey->dec_pkey);
    }
  }
  sk_X509_INFO_pop_free(infos, X509_INFO_free);
  std::vector<ClientCertificate> out;
  for (size_t k = 0; k < keys.size(); ++k) {
    X509* leaf = nullptr;
    for (size_t c = 0; c < certs.size() && leaf == nullptr; ++c) {
      if (X509_check_private_key(certs[c].get(), keys[k].get()) == 1) leaf = certs[c].get();
    }
    ERR_clear_error();
    if (leaf == nullptr) {
      return Status::InvalidArgument(file_name + ": private key " + std::to_string(k + 1) +
                                     " has no certificate in the file");
    }
    std::string cn = CommonName(leaf);
    out.push_back(
        {cn.empty() ? std::to_string(k + 1) : cn, ChainPem(leaf, certs), KeyPem(keys[k].get()), SubjectLine(leaf)});
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Result<std::vector<ClientCertificate>> ReadKeystore(std::string_view content, const std::string& password,
                                                    const std::string& type, const std::string& file_name) {
  std::string t = Lower(type);
  if (content.size() >= 4 && static_cast<unsigned char>(content[0]) == 0xFE &&
      static_cast<unsigned char>(content[1]) == 0xED) {
    t = "jks";
  } else if (content.find("-----BEGIN") != std::string_view::npos) {
    t = "pem";
  } else if (t != "jks" && t != "jceks") {
    t = "pkcs12";
  }
  Result<std::vector<ClientCertificate>> keys = Status::InvalidArgument("");
  if (t == "jks" || t == "jceks") {
    return Status::InvalidArgument(file_name +
                                   ": JKS keystores are not supported; convert it to PKCS#12 with `keytool "
                                   "-importkeystore -srckeystore " +
                                   file_name + " -destkeystore keystore.p12 -deststoretype pkcs12`");
  }
  keys = t == "pem" ? ReadPem(content, password, file_name) : ReadPkcs12(content, password, file_name);
  if (keys.ok() && keys->empty()) return Status::InvalidArgument(file_name + ": no key(s) found in the keystore");
  return keys;
}

Result<std::unique_ptr<ClientKeystore>> ClientKeystore::ForRun(const Plan& plan, ThreadContext& boot) {
  RunContext& run = *boot.run;
  std::optional<std::string> path = run.properties.Get("javax.net.ssl.keyStore");
  if (!path || path->empty()) return std::unique_ptr<ClientKeystore>();
  // The last Keystore Config in plan order (elements before children, depth first).
  const KeystoreConfig* config = nullptr;
  std::vector<const Node*> stack;
  if (plan.root) stack.push_back(plan.root.get());
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    for (const auto& e : n->elements) {
      if (e->kind == ElementKind::kKeystoreConfig) config = &e->As<KeystoreConfig>();
    }
    for (auto it = n->children.rbegin(); it != n->children.rend(); ++it) stack.push_back(it->get());
  }
  std::string where = "keystore " + *path + " (javax.net.ssl.keyStore)";
  auto index = [&](const Value* v, const char* property, int64_t* out) -> Status {
    std::string text = v ? Evaluate(*v, boot) : "";
    if (text.empty()) text = run.properties.Get(property).value_or("0");
    std::optional<int64_t> n = ParseInt64(text);
    if (!n || *n < 0) return Status::InvalidArgument(where + ": index '" + text + "' is not a whole number from 0");
    *out = *n;
    return Status::Ok();
  };
  int64_t start = 0, end = 0;
  if (Status s = index(config ? &config->start_index : nullptr, "https.keyStoreStartIndex", &start); !s.ok()) return s;
  if (Status s = index(config ? &config->end_index : nullptr, "https.keyStoreEndIndex", &end); !s.ok()) return s;
  if (end < start) {
    return Status::InvalidArgument(where + ": invalid index(es). Start=" + std::to_string(start) +
                                   ", end=" + std::to_string(end));
  }
  // A shipped copy (cluster worker), else the name as the JVM opens it.
  std::string file = *path;
  if (auto it = run.local_copies.find(file); it != run.local_copies.end()) file = it->second;
  Result<std::string> content = ReadRegularFile(file, kMaxConfigBytes, "a keystore");
  if (!content.ok()) return Status::InvalidArgument(where + ": " + content.status().message());
  Result<std::vector<ClientCertificate>> all =
      ReadKeystore(*content, run.properties.Get("javax.net.ssl.keyStorePassword").value_or(""),
                   run.properties.Get("javax.net.ssl.keyStoreType").value_or(""), *path);
  if (!all.ok()) return all.status();
  if (static_cast<size_t>(start) >= all->size()) {
    return Status::InvalidArgument(where + ": no key(s) found from index " + std::to_string(start) + " (it has " +
                                   std::to_string(all->size()) + ")");
  }
  std::vector<ClientCertificate> keys(all->begin() + start,
                                      all->begin() + std::min<int64_t>(end + 1, static_cast<int64_t>(all->size())));
  std::string alias_var = config ? Evaluate(config->alias_var, boot) : "";
  bool per_iteration = Lower(run.properties.Get("https.use.cached.ssl.context").value_or("true")) == "false";
  return std::make_unique<ClientKeystore>(std::move(keys), std::move(alias_var), per_iteration);
}

Result<const ClientCertificate*> ClientKeystore::Choose(ThreadContext& ctx) {
  if (!alias_var_.empty()) {
    const std::string* alias = ctx.vars.Get(alias_var_);
    if (alias == nullptr || alias->empty()) {
      return Status::InvalidArgument("No var called '" + alias_var_ + "' found");
    }
    for (const ClientCertificate& k : keys_) {
      if (k.alias == *alias) return &k;
    }
    return Status::InvalidArgument("No PrivateKey found for alias:'" + *alias + "'");
  }
  return &keys_[next_.fetch_add(1) % keys_.size()];
}

}  // namespace barrage
