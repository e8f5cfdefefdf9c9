// The keystore of client certificates (worker/client_keystore.h): PKCS#12 and PEM entries,
// the Keystore Config's index range and alias variable, JMeter's round robin.
#include "worker/client_keystore.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
#include "tests/worker/tls_test_util.h"

namespace barrage {
namespace {

using tls_test::Identity;
using tls_test::MakeIdentity;

std::vector<std::string> Aliases(const std::vector<ClientCertificate>& keys) {
  std::vector<std::string> out;
  for (const ClientCertificate& k : keys) out.push_back(k.alias);
  return out;
}

std::vector<Identity> ThreeUsers() {
  return {MakeIdentity("alice", "user-a"), MakeIdentity("bob", "user-b"), MakeIdentity("carol", "user-c")};
}

TEST(ReadKeystoreTest, Pkcs12KeyEntriesInFileOrderWithTheirFriendlyNames) {
  Result<std::vector<ClientCertificate>> keys =
      ReadKeystore(tls_test::Pkcs12(ThreeUsers(), "s3cret"), "s3cret", "", "users.p12");
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  EXPECT_EQ(Aliases(*keys), (std::vector<std::string>{"alice", "bob", "carol"}));
  EXPECT_EQ((*keys)[1].subject, "CN=user-b,O=Barrage test");
  EXPECT_EQ((*keys)[1].chain_pem.rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
  EXPECT_EQ((*keys)[1].key_pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
}

TEST(ReadKeystoreTest, WrongPasswordIsReportedWithTheProperty) {
  Result<std::vector<ClientCertificate>> keys =
      ReadKeystore(tls_test::Pkcs12(ThreeUsers(), "s3cret"), "nope", "pkcs12", "users.p12");
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().message(), "users.p12: keystore password was incorrect (javax.net.ssl.keyStorePassword)");
}

TEST(ReadKeystoreTest, PemPairsEachKeyWithItsCertificateAliasIsTheCommonName) {
  Result<std::vector<ClientCertificate>> keys = ReadKeystore(tls_test::Pem(ThreeUsers()), "", "", "users.pem");
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  EXPECT_EQ(Aliases(*keys), (std::vector<std::string>{"user-a", "user-b", "user-c"}));
  EXPECT_EQ((*keys)[2].subject, "CN=user-c,O=Barrage test");
}

TEST(ReadKeystoreTest, PemKeyWithoutItsCertificateIsAnError) {
  Identity a = MakeIdentity("a", "user-a");
  Identity b = MakeIdentity("b", "user-b");
  std::string pem = tls_test::Pem({a});
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(out, b.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  pem += tls_test::BioText(out);
  Result<std::vector<ClientCertificate>> keys = ReadKeystore(pem, "", "", "users.pem");
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().message(), "users.pem: private key 2 has no certificate in the file");
}

TEST(ReadKeystoreTest, JksIsRefusedWithTheConversionCommand) {
  Result<std::vector<ClientCertificate>> keys =
      ReadKeystore(std::string("\xFE\xED\xFE\xED\x00\x00\x00\x02", 8), "x", "", "users.jks");
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().message(),
            "users.jks: JKS keystores are not supported; convert it to PKCS#12 with `keytool -importkeystore "
            "-srckeystore users.jks -destkeystore keystore.p12 -deststoretype pkcs12`");
}

TEST(ReadKeystoreTest, GarbageIsNotAPkcs12Keystore) {
  Result<std::vector<ClientCertificate>> keys = ReadKeystore("not a keystore", "", "", "x.p12");
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().message().rfind("x.p12: not a PKCS#12 keystore (", 0), 0u) << keys.status().message();
}

class ClientKeystoreForRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/barrage-keystore-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/users.p12";
    std::ofstream(path_, std::ios::binary) << tls_test::Pkcs12(ThreeUsers(), "pw");
    run_.properties.Set("javax.net.ssl.keyStore", path_);
    run_.properties.Set("javax.net.ssl.keyStorePassword", "pw");
    boot_.run = &run_;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A plan whose Test Plan holds `elements` (JMX) and one thread group.
  Result<std::unique_ptr<ClientKeystore>> ForRun(const std::string& elements) {
    std::string xml =
        "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"T\"/>\n<hashTree>\n" +
        elements +
        "<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\"><stringProp name=\"ThreadGroup.num_threads\">1"
        "</stringProp></ThreadGroup>\n<hashTree/>\n</hashTree></hashTree></jmeterTestPlan>\n";
    Result<HashTree> tree = ParseJmx(xml, "t.jmx");
    EXPECT_TRUE(tree.ok());
    compiled_ = std::make_unique<CompiledPlan>(CompilePlan(std::move(tree).value()));
    EXPECT_TRUE(compiled_->plan.runnable());
    return ClientKeystore::ForRun(compiled_->plan, boot_);
  }
  static std::string Config(const std::string& start, const std::string& end, const std::string& alias_var) {
    return "<KeystoreConfig guiclass=\"TestBeanGUI\" testclass=\"KeystoreConfig\" testname=\"Keystore\">"
           "<stringProp name=\"clientCertAliasVarName\">" +
           alias_var + "</stringProp><stringProp name=\"endIndex\">" + end +
           "</stringProp><stringProp name=\"preload\">true</stringProp><stringProp name=\"startIndex\">" + start +
           "</stringProp></KeystoreConfig>\n<hashTree/>\n";
  }
  std::vector<std::string> ChooseAliases(ClientKeystore& ks, int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
      Result<const ClientCertificate*> c = ks.Choose(boot_);
      out.push_back(c.ok() ? (*c)->alias : c.status().message());
    }
    return out;
  }

  std::string dir_, path_;
  RunContext run_;
  ThreadContext boot_;
  std::unique_ptr<CompiledPlan> compiled_;
};

TEST(KeystoreConfigCompileTest, NonNumericIndexIsAPlanError) {
  std::string xml =
      "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"T\"/>\n<hashTree>\n"
      "<KeystoreConfig testclass=\"KeystoreConfig\" testname=\"ks\"><stringProp name=\"startIndex\">one</stringProp>"
      "<stringProp name=\"endIndex\">${last}</stringProp></KeystoreConfig>\n<hashTree/>\n"
      "</hashTree></hashTree></jmeterTestPlan>\n";
  Result<HashTree> tree = ParseJmx(xml, "t.jmx");
  ASSERT_TRUE(tree.ok());
  CompiledPlan compiled = CompilePlan(std::move(tree).value());
  std::vector<std::string> errors;
  for (const Problem& p : compiled.plan.problems) {
    if (p.severity == Problem::Severity::kError) errors.push_back(std::to_string(p.line) + ": " + p.message);
  }
  EXPECT_EQ(errors,
            (std::vector<std::string>{"4: KeystoreConfig 'ks': startIndex 'one' is not a whole number",
                                      "2: the plan has no enabled thread group Barrage can run, so it would send no "
                                      "request"}));
  EXPECT_TRUE(compiled.plan.unsupported.empty());
}

TEST_F(ClientKeystoreForRunTest, NoKeystorePropertyNoKeystore) {
  run_.properties.Set("javax.net.ssl.keyStore", "");
  Result<std::unique_ptr<ClientKeystore>> ks = ForRun(Config("0", "2", ""));
  ASSERT_TRUE(ks.ok());
  EXPECT_EQ(ks->get(), nullptr);
}

TEST_F(ClientKeystoreForRunTest, WithoutKeystoreConfigOnlyTheFirstKeyIsUsed) {
  Result<std::unique_ptr<ClientKeystore>> ks = ForRun("");
  ASSERT_TRUE(ks.ok()) << ks.status().message();
  EXPECT_EQ(ChooseAliases(**ks, 2), (std::vector<std::string>{"alice", "alice"}));
}

TEST_F(ClientKeystoreForRunTest, IndexRangeRoundRobin) {
  Result<std::unique_ptr<ClientKeystore>> ks = ForRun(Config("1", "2", ""));
  ASSERT_TRUE(ks.ok()) << ks.status().message();
  EXPECT_EQ(ChooseAliases(**ks, 5), (std::vector<std::string>{"bob", "carol", "bob", "carol", "bob"}));
  EXPECT_FALSE((*ks)->per_iteration());
}

TEST_F(ClientKeystoreForRunTest, EmptyIndexesComeFromTheProperties) {
  run_.properties.Set("https.keyStoreStartIndex", "0");
  run_.properties.Set("https.keyStoreEndIndex", "1");
  Result<std::unique_ptr<ClientKeystore>> ks = ForRun(Config("", "", ""));
  ASSERT_TRUE(ks.ok()) << ks.status().message();
  EXPECT_EQ(ChooseAliases(**ks, 3), (std::vector<std::string>{"alice", "bob", "alice"}));
}

TEST_F(ClientKeystoreForRunTest, EndIndexBeyondTheKeysUsesThoseThereAre) {
  Result<std::unique_ptr<ClientKeystore>> ks = ForRun(Config("${__P(first,2)}", "9", ""));
  ASSERT_TRUE(ks.ok()) << ks.status().message();
  EXPECT_EQ(ChooseAliases(**ks, 2), (std::vector<std::string>{"carol", "carol"}));
}

TEST_F(ClientKeystoreForRunTest, StartIndexBeyondTheKeysIsAnError) {
  Result<std::unique_ptr<ClientKeystore>> ks = ForRun(Config("3", "4", ""));
  ASSERT_FALSE(ks.ok());
  EXPECT_EQ(ks.status().message(),
            "keystore " + path_ + " (javax.net.ssl.keyStore): no key(s) found from index 3 (it has 3)");
}

TEST_F(ClientKeystoreForRunTest, EndBeforeStartIsJMetersError) {
  Result<std::unique_ptr<ClientKeystore>> ks = ForRun(Config("2", "1", ""));
  ASSERT_FALSE(ks.ok());
  EXPECT_EQ(ks.status().message(),
            "keystore " + path_ + " (javax.net.ssl.keyStore): invalid index(es). Start=2, end=1");
}

TEST_F(ClientKeystoreForRunTest, MissingFileNamesTheProperty) {
  run_.properties.Set("javax.net.ssl.keyStore", dir_ + "/missing.p12");
  Result<std::unique_ptr<ClientKeystore>> ks = ForRun("");
  ASSERT_FALSE(ks.ok());
  EXPECT_EQ(ks.status().message().rfind("keystore " + dir_ + "/missing.p12 (javax.net.ssl.keyStore): ", 0), 0u)
      << ks.status().message();
}

TEST_F(ClientKeystoreForRunTest, AliasVariableNamesTheKeyWithinTheRange) {
  Result<std::unique_ptr<ClientKeystore>> ks = ForRun(Config("0", "1", "cert"));
  ASSERT_TRUE(ks.ok()) << ks.status().message();
  EXPECT_EQ(ChooseAliases(**ks, 1), (std::vector<std::string>{"No var called 'cert' found"}));
  boot_.vars.Put("cert", "bob");
  EXPECT_EQ(ChooseAliases(**ks, 2), (std::vector<std::string>{"bob", "bob"}));
  boot_.vars.Put("cert", "carol");  // index 2: outside the range
  EXPECT_EQ(ChooseAliases(**ks, 1), (std::vector<std::string>{"No PrivateKey found for alias:'carol'"}));
}

TEST_F(ClientKeystoreForRunTest, UncachedSslContextChoosesPerIteration) {
  run_.properties.Set("https.use.cached.ssl.context", "false");
  Result<std::unique_ptr<ClientKeystore>> ks = ForRun("");
  ASSERT_TRUE(ks.ok()) << ks.status().message();
  EXPECT_TRUE((*ks)->per_iteration());
}

TEST_F(ClientKeystoreForRunTest, ShippedCopyIsReadInsteadOfThePath) {
  std::string copy = dir_ + "/copy.pem";
  std::ofstream(copy) << tls_test::Pem({MakeIdentity("x", "shipped")});
  run_.properties.Set("javax.net.ssl.keyStore", "conf/users.pem");
  run_.local_copies["conf/users.pem"] = copy;
  Result<std::unique_ptr<ClientKeystore>> ks = ForRun("");
  ASSERT_TRUE(ks.ok()) << ks.status().message();
  EXPECT_EQ(ChooseAliases(**ks, 1), (std::vector<std::string>{"shipped"}));
}

}  // namespace
}  // namespace barrage
