// Prints the plain closing line CI tooling reads in any language: "Tests: N passed, N failed, N skipped".
class SummaryReporter {
  onRunComplete(_contexts, results) {
    console.log(
      `Tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped`,
    );
  }
}
module.exports = SummaryReporter;
