#include "common/jtl_columns.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace barrage {
namespace {

std::string Names(const std::vector<JtlColumn>& columns) {
  std::string out;
  for (JtlColumn c : columns) out += (out.empty() ? "" : ",") + std::string(JtlColumnInfoOf(c).name);
  return out;
}

TEST(JtlColumnsTest, TableHoldsJMetersColumnsInCsvSaveServiceOrder) {
  std::string names, fields, unwritten;
  size_t index = 0;
  for (const JtlColumnInfo& c : AllJtlColumns()) {
    EXPECT_EQ(static_cast<size_t>(c.column), index++);
    names += (names.empty() ? "" : ",") + std::string(c.name);
    fields += (fields.empty() ? "" : ",") + std::string(c.save_field);
    if (!c.written) unwritten += std::string(c.name) + ";";
  }
  EXPECT_EQ(names,
            "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,"
            "sentBytes,grpThreads,allThreads,URL,Filename,Latency,Encoding,SampleCount,ErrorCount,Hostname,"
            "IdleTime,Connect,intendedStart");
  // intendedStart is barrage's (coordinated omission): no saveConfig field selects it.
  EXPECT_EQ(fields,
            "timestamp,time,label,code,message,threadName,dataType,success,saveAssertionResultsFailureMessage,bytes,"
            "sentBytes,threadCounts,threadCounts,url,fileName,latency,encoding,sampleCount,sampleCount,hostname,"
            "idleTime,connectTime,");
  EXPECT_EQ(unwritten, "Encoding;Hostname;");
}

TEST(JtlColumnsTest, DefaultsAreJMeter5sSeventeenAndJMeter213sTwelve) {
  EXPECT_EQ(Names(DefaultJtlColumns()),
            "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,"
            "sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect");
  EXPECT_EQ(Names(JMeter213JtlColumns()),
            "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,bytes,grpThreads,"
            "allThreads,Latency");
}

TEST(JtlColumnsTest, IntendedStartPropertyIsJavasParseBoolean) {
  EXPECT_EQ(kJtlIntendedStartProperty, "barrage.jtl.intended_start");
  for (const char* yes : {"true", "TRUE", "True", "tRuE"}) EXPECT_TRUE(JtlIntendedStartWanted(yes)) << yes;
  for (const char* no : {"", "false", "yes", "1", " true", "true ", "truee"}) {
    EXPECT_FALSE(JtlIntendedStartWanted(no)) << no;
  }
  EXPECT_EQ(Names(WithIntendedStart({JtlColumn::kTimeStamp})), "timeStamp,intendedStart");
}

TEST(JtlColumnsTest, LooksColumnsUpByTheirCaseSensitiveHeaderName) {
  JtlColumn c = JtlColumn::kLabel;
  ASSERT_TRUE(JtlColumnNamed("Hostname", &c));
  EXPECT_EQ(c, JtlColumn::kHostname);
  ASSERT_TRUE(JtlColumnNamed("URL", &c));
  EXPECT_EQ(c, JtlColumn::kUrl);
  EXPECT_FALSE(JtlColumnNamed("url", &c));
  EXPECT_FALSE(JtlColumnNamed("", &c));
  EXPECT_EQ(c, JtlColumn::kUrl);  // untouched on failure
}

}  // namespace
}  // namespace barrage
