// Issue 10: Random CSV Data Set (com.blazemeter.jmeter.RandomCSVDataSetConfig, the bzm
// plugin), compiled into a CsvDataSet node that worker/csv_data.h reads (see element_compiler.h).
#include <memory>
#include <string>

#include "common/element_compiler.h"

namespace barrage {

std::unique_ptr<Node> MakeDataElement(ElementKind kind, const TestElement& e, CompileLog& log) {
  auto n = std::make_unique<CsvDataSet>(kind);
  if (kind != ElementKind::kRandomCsvDataSet) return n;
  n->filename = V(e, "filename");
  n->file_encoding = e.GetString("fileEncoding", "UTF-8");
  n->variable_names = V(e, "variableNames");
  // RandomCSVReader.checkDelimiter: "\t" written as two characters is a tab, empty is ",";
  // only the first character separates fields.
  std::string delim = e.GetString("delimiter", ",");
  n->delimiter = delim == "\\t" ? "\t" : delim.empty() ? "," : delim;
  n->ignore_first_line = e.GetBool("ignoreFirstLine", false);
  n->quoted_data = true;  // CSVSaveService.csvReadFile, always
  n->random_order = e.GetBool("randomOrder", false);
  n->recycle = e.GetBool("rewindOnTheEndOfList", false);
  n->stop_thread = !n->recycle;  // JMeterStopThreadException at the end of the list
  bool independent = e.GetBool("independentListPerThread", false);
  n->share_mode = independent ? CsvDataSet::ShareMode::kThread : CsvDataSet::ShareMode::kAll;
  n->share_mode_text = independent ? "shareMode.thread" : "shareMode.all";
  if (n->filename.empty()) log.Error(DescribeElement(e) + ": no filename", e.line);
  return n;
}

}  // namespace barrage
