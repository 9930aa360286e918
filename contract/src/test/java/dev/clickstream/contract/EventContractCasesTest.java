package dev.clickstream.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.testkit.ContractCases;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract's one table of cases (the test kit's ContractCases) against the one validator; the application runs
 * the same table through Spark ({@code EventParserTest}) and the producer through its codec ({@code EventCodecTest}).
 */
class EventContractCasesTest {
  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.clickstream.testkit.ContractCases#all")
  void classifiesEveryCaseWithItsReasonCode(ContractCases.Case c) {
    long nowMicros = System.currentTimeMillis() * 1000;
    EventRecordParser.Event e = EventRecordParser.parse(c.value(), nowMicros, 60_000_000L);
    assertThat(e.reason() == null).as("a reason exactly when there is an error").isEqualTo(e.error() == null);
    String got = e.error() == null ? ContractCases.VALID : e.reason().code();
    assertThat(got).as("%s: %s", c.name(), c.record()).isEqualTo(c.expect());
    assertThat(EventContract.REASONS).as("a known reason code").contains(c.expect().equals(ContractCases.VALID)
        ? EventContract.REASONS.get(0) : c.expect());
  }
}
