// __XPath(file, xpath) (issue 10): the next selected node's value, shared by all users,
// wrapping around, as JMeter's XPathWrapper / XPathFileContainer.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <string>

#include "common/functions.h"

namespace barrage {
namespace {

class XPathFunctionTest : public testing::Test {
 protected:
  XPathFunctionTest() {
    std::string tmpl = testing::TempDir() + "/xpath_fn_XXXXXX";
    dir_ = mkdtemp(tmpl.data());
    std::ofstream(dir_ + "/users.xml") << "<users><user id=\"u1\"><name>ann</name></user>"
                                          "<user id=\"u2\"><name>bob</name></user>"
                                          "<user id=\"u3\"><name><![CDATA[c&d]]></name></user></users>\n";
    std::ofstream(dir_ + "/broken.xml") << "<users><user></users>\n";
    run.base_dir = dir_;
    a.run = &run;
    b.run = &run;
  }
  std::string Eval(ThreadContext& user, const std::string& text) { return Evaluate(Value::Of(text), user); }

  std::string dir_;
  RunContext run;
  ThreadContext a, b;
};

TEST_F(XPathFunctionTest, NextNodeEachCallSharedByUsersWrapping) {
  const std::string call = "${__XPath(users.xml,//name/text())}";
  EXPECT_EQ(Eval(a, call), "ann");
  EXPECT_EQ(Eval(b, call), "bob");
  EXPECT_EQ(Eval(a, call), "c&d");
  EXPECT_EQ(Eval(b, call), "ann");
}

TEST_F(XPathFunctionTest, EachFileAndExpressionHasItsOwnPosition) {
  EXPECT_EQ(Eval(a, "${__XPath(users.xml,//user/@id)}"), "u1");
  EXPECT_EQ(Eval(a, "${__XPath(users.xml,//name/text())}"), "ann");
  EXPECT_EQ(Eval(a, "${__XPath(users.xml,//user/@id)}"), "u2");
}

TEST_F(XPathFunctionTest, ElementsHaveNoNodeValue) { EXPECT_EQ(Eval(a, "${__XPath(users.xml,//name)}"), "null"); }

TEST_F(XPathFunctionTest, NothingSelectedUnreadableOrNotANodeSetIsEmpty) {
  EXPECT_EQ(Eval(a, "[${__XPath(users.xml,//missing)}]"), "[]");
  EXPECT_EQ(Eval(a, "[${__XPath(nofile.xml,//name)}]"), "[]");
  EXPECT_EQ(Eval(a, "[${__XPath(broken.xml,//user)}]"), "[]");
  EXPECT_EQ(Eval(a, "[${__XPath(users.xml,count(//user))}]"), "[]");
}

TEST_F(XPathFunctionTest, WrongArgumentCountStaysAsWritten) {
  EXPECT_EQ(Eval(a, "${__XPath(users.xml)}"), "${__XPath(users.xml)}");
}

}  // namespace
}  // namespace barrage
