"""Meters on fake sysfs trees, and the energy window against a known power."""

import os
import threading
import time

import pytest

from edgebench.instruments.energy import clip_window, energy_window, idle_power, integrate
from edgebench.meters import MeterUnavailable, make_meter, probe_meters
from edgebench.meters.command import parse_reading
from edgebench.meters.hwmon import HwmonMeter
from edgebench.meters.rapl import RaplMeter


def rapl_tree(root, packages=1, range_uj=2**32 - 1, start=0):
    base = root / "sys" / "class" / "powercap"
    for n in range(packages):
        domain = base / f"intel-rapl:{n}"
        domain.mkdir(parents=True)
        (domain / "energy_uj").write_text(str(start))
        (domain / "max_energy_range_uj").write_text(str(range_uj))
        sub = base / f"intel-rapl:{n}:0"  # a nested subdomain: never summed
        sub.mkdir()
        (sub / "energy_uj").write_text("999999999")
    return base


def test_rapl_sums_packages_not_subdomains_and_unfolds_wraps(tmp_path):
    base = rapl_tree(tmp_path, packages=2, range_uj=1_000_000, start=900_000)
    meter = RaplMeter(tmp_path)
    assert [d.name for d in meter.domains()] == ["intel-rapl:0", "intel-rapl:1"]
    first = meter.read().joules
    for n in range(2):
        (base / f"intel-rapl:{n}" / "energy_uj").write_text("100000")  # wrapped: +200,001 uJ
    assert meter.read().joules - first == pytest.approx(2 * 0.200001)


def test_rapl_reasons(tmp_path):
    with pytest.raises(MeterUnavailable, match="absent"):
        RaplMeter(tmp_path).read()
    base = rapl_tree(tmp_path)
    (base / "intel-rapl:0" / "energy_uj").write_text("garbage")
    with pytest.raises(MeterUnavailable, match="unsupported"):
        RaplMeter(tmp_path).read()


def test_hwmon_power_sensors_and_energy_counters(tmp_path):
    sensor = tmp_path / "sys" / "class" / "hwmon" / "hwmon0"
    sensor.mkdir(parents=True)
    (sensor / "power1_input").write_text("1500000")  # 1.5 W
    (sensor / "power2_input").write_text("500000")
    meter = HwmonMeter(tmp_path)
    assert meter.kind == "sampled" and meter.read().watts == pytest.approx(2.0)
    (sensor / "energy1_input").write_text("3000000")
    meter = HwmonMeter(tmp_path)
    assert meter.kind == "counter" and meter.read().joules == pytest.approx(3.0)


def test_no_meter_anywhere(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEBENCH_SYSFS_ROOT", str(tmp_path))
    status = probe_meters()
    assert "absent" in status["rapl"] and "absent" in status["hwmon"]
    assert make_meter("none") is None
    with pytest.raises(MeterUnavailable, match="no meter found by auto-probe"):
        make_meter("auto")


def test_command_readings():
    assert parse_reading("12.5").watts == 12.5
    assert parse_reading("3.5 W").watts == 3.5
    assert parse_reading("7 J").joules == 7.0
    with pytest.raises(MeterUnavailable):
        parse_reading("n/a")
    meter = make_meter("command", "echo 4.25")
    assert meter.read().watts == 4.25
    with pytest.raises(MeterUnavailable, match="exited with status 1"):
        make_meter("command", "false")


def test_integration_rules():
    watts = [(0.0, 2.0), (1.0, 4.0), (2.0, 4.0)]
    assert integrate(watts, "sampled") == (pytest.approx(7.0), pytest.approx(3.5), 4.0)
    joules = [(0.0, 10.0), (1.0, 12.0), (2.0, 18.0)]
    assert integrate(joules, "counter") == (
        pytest.approx(8.0),
        pytest.approx(4.0),
        pytest.approx(6.0),
    )
    assert clip_window(joules, 0.5, 1.5) == [(0.5, 11.0), (1.0, 12.0), (1.5, 15.0)]


class Advancer:
    """Advances a fake RAPL counter at ``watts``, wrapping at the domain's range."""

    def __init__(self, path, range_uj, watts):
        self.path, self.range_uj, self.watts = path, range_uj, watts
        self.energy_uj, self.stop = 0.0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        last = time.monotonic()
        while not self.stop.is_set():
            now = time.monotonic()
            self.energy_uj += self.watts * (now - last) * 1e6
            last = now
            tmp = self.path.with_suffix(".tmp")  # sysfs reads are atomic; mimic that
            tmp.write_text(str(int(self.energy_uj) % (self.range_uj + 1)))
            os.replace(tmp, self.path)
            time.sleep(0.005)


def test_energy_window_matches_a_known_rate_with_wraps(tmp_path, monkeypatch):
    range_uj = 3_000_000  # wraps every 3 J: several times per window
    base = rapl_tree(tmp_path, range_uj=range_uj)
    monkeypatch.setenv("EDGEBENCH_SYSFS_ROOT", str(tmp_path))
    advancer = Advancer(base / "intel-rapl:0" / "energy_uj", range_uj, watts=2.0)
    advancer.thread.start()
    try:
        idle = idle_power("rapl", "", 0.05, 1.5)["power_idle_w"]
        assert idle == pytest.approx(2.0, rel=0.05)

        def invoke():  # an "inference" of 10 ms while the package draws 10 W
            advancer.watts = 10.0
            time.sleep(0.01)

        fields = energy_window("rapl", "", 0.05, 1.5, invoke, idle)
    finally:
        advancer.stop.set()
    assert fields["power_avg_w"] == pytest.approx(10.0, rel=0.05)
    per_image_j = 10.0 * fields["energy_window_s"] / fields["energy_images"]
    assert fields["energy_per_image_mj"] == pytest.approx(per_image_j * 1e3, rel=0.05)
    net = (10.0 - idle) * fields["energy_window_s"] / fields["energy_images"] * 1e3
    assert fields["energy_net_per_image_mj"] == pytest.approx(net, rel=0.05)


def test_rpi5_pmic_sums_rails_with_volts_and_amps(tmp_path, monkeypatch):
    from edgebench.meters.rpi5_pmic import rail_power_w

    output = (
        " VDD_CORE_A current(7)=2.00000000A\n VDD_CORE_V volt(15)=0.80000000V\n"
        " 3V3_SYS_A current(5)=0.50000000A\n 3V3_SYS_V volt(13)=3.30000000V\n"
        " EXT5V_V volt(24)=5.10000000V\n"  # volts only: not a rail we can count
    )
    assert rail_power_w(output) == pytest.approx(2.0 * 0.8 + 0.5 * 3.3)
    fake = tmp_path / "vcgencmd"
    fake.write_text(
        "#!/bin/sh\nprintf ' VDD_CORE_A current(7)=1.5A\\n VDD_CORE_V volt(15)=2.0V\\n'\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("EDGEBENCH_VCGENCMD", str(fake))
    assert make_meter("rpi5-pmic").read().watts == pytest.approx(3.0)


def test_meters_that_are_not_here_say_why(monkeypatch):
    monkeypatch.delenv("EDGEBENCH_VCGENCMD", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(MeterUnavailable, match="vcgencmd not found"):
        make_meter("rpi5-pmic")
    with pytest.raises(MeterUnavailable, match="pi-ina219"):
        make_meter("ina219")
    with pytest.raises(MeterUnavailable, match="unknown meter 'joulescope'"):
        make_meter("joulescope")
