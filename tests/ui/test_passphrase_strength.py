"""The strength meter under a new passphrase: words a person can act on, and a bar."""

from __future__ import annotations

import pytest

from ddassess.ui.widgets import PassphraseStrength, password_field


@pytest.fixture
def meter(qtbot):
    field = password_field("New passphrase")
    meter = PassphraseStrength()
    meter.watch(field)
    qtbot.addWidget(field)
    qtbot.addWidget(meter)
    meter.show()
    return field, meter


@pytest.mark.parametrize(("typed", "verdict"), [
    ("horse", "too short"),
    ("password123", "weak"),  # a common password with a little added
    ("P@ssw0rd2024", "weak"),  # ... with look-alike digits
    ("aaaaaaaaaaaaaaaa", "weak"),  # one character repeated
    ("abcdefghijklmnop", "weak"),  # a sequence
    ("qwertyuiop123456", "weak"),  # keyboard rows
    ("blueblueblueblue", "weak"),  # a repeated block
    ("ilikecheese", "fair"),
    ("correct horse battery staple", "strong"),
    ("xk7Qp2mVz9Lw", "strong"),
])
def test_verdict_in_words_as_typed(qtbot, meter, typed, verdict):
    field, meter = meter
    qtbot.keyClicks(field, typed)
    assert meter.verdict == verdict
    assert f"Strength: {verdict}" in meter.words.text()
    assert meter.words.isVisible()


def test_bar_grows_with_strength_and_text_never_reaches_assistive_tech(qtbot, meter):
    field, meter = meter
    seen = []
    for typed in ("horse", "password123", "ilikecheese", "correct horse battery staple"):
        field.clear()
        qtbot.keyClicks(field, typed)
        seen.append(meter.bar.value())
        assert typed not in meter.bar.accessibleDescription() + meter.words.accessibleName()
    assert seen == sorted(seen) and seen[0] == 0 and seen[-1] == 4
    field.clear()
    assert meter.words.text() == "" and meter.bar.value() == 0


def test_a_message_marked_ok_turns_green_at_once(qtbot):
    from PySide6.QtGui import QPalette

    from ddassess.ui.widgets import problem_label

    label = problem_label()
    qtbot.addWidget(label)
    label.setText("Passphrase accepted.")
    label.show()
    red = label.palette().color(QPalette.ColorRole.WindowText).name()
    label.setProperty("ok", True)
    assert red == "#b00020" and label.palette().color(QPalette.ColorRole.WindowText).name() == "#1b5e20"
    label.setProperty("ok", False)
    assert label.palette().color(QPalette.ColorRole.WindowText).name() == "#b00020"
