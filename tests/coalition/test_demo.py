"""README's first command ends in `coalition demo`: it must show the example, offline."""

from tests.conftest import EXAMPLE, run_cli


def test_demo_shows_the_agenda_deadlines_and_sample_news_and_can_run_again(tmp_path):
    config = tmp_path / "coalition.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/demo.db"\n'
                      f'[coalition]\ndata = "{EXAMPLE}"\n')
    first = run_cli("--config", str(config), "demo", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    out = " ".join(first.stdout.split())  # as printed, whatever the terminal's width
    assert "5th IMG E-waste meeting" in out and "1. Work Stream 1" in out
    assert "Next deadlines (as of 01 October 2017)" in out
    assert "2 feeds polled: 6 entries added" in out
    assert "5th IMG E-waste meeting on 5 October: agenda circulated" in out
    assert "Draft Work Plan 2017/18" in out
    assert "49 notes added, 0 action items created, 5 next steps matched" in out
    assert "Status: upcoming" in out  # on 1 October, the 5th meeting is still to come
    second = run_cli("--config", str(config), "demo", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    again = " ".join(second.stdout.split())
    assert "no changes" in again and "0 entries added" in again
    assert again.count("agenda circulated") == 1  # the news, not twice
