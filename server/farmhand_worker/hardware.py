"""What this node has: RAM, cores, GPUs (from `nvidia-smi` when present), platform, host."""

from __future__ import annotations

import platform
import shutil
import socket
import subprocess
from dataclasses import dataclass, field

import psutil


@dataclass(slots=True)
class Gpu:
    """One GPU as nvidia-smi reports it."""

    name: str
    memory_gb: float


@dataclass(slots=True)
class Hardware:
    """The machine facts the scheduler matches jobs against."""

    hostname: str
    platform: str
    ram_gb: float
    cpu_cores: int
    gpus: list[Gpu] = field(default_factory=list)

    @property
    def gpu_memory_gb(self) -> float:
        """The smallest GPU's memory: a job needing N GB must fit on any card it lands on."""
        return min((g.memory_gb for g in self.gpus), default=0.0)


def detect(nvidia_smi: str | None = "nvidia-smi") -> Hardware:
    """Read this machine's hardware."""
    return Hardware(
        hostname=socket.gethostname(),
        platform=f"{platform.system().lower()}-{platform.machine().lower()}",
        ram_gb=round(psutil.virtual_memory().total / 1024**3, 1),
        cpu_cores=psutil.cpu_count(logical=True) or 1,
        gpus=nvidia_gpus(nvidia_smi) if nvidia_smi else [],
    )


def nvidia_gpus(executable: str = "nvidia-smi") -> list[Gpu]:
    """GPUs from `nvidia-smi --query-gpu`, or none when it is missing or fails."""
    path = shutil.which(executable)
    if path is None:
        return []
    try:
        out = subprocess.run(
            [path, "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_nvidia_smi(out)


def parse_nvidia_smi(text: str) -> list[Gpu]:
    """GPUs from nvidia-smi's CSV (`name, memory MiB` per line).

    >>> parse_nvidia_smi("NVIDIA RTX A6000, 49140\\nNVIDIA RTX A4000, 16376\\n")
    [Gpu(name='NVIDIA RTX A6000', memory_gb=48.0), Gpu(name='NVIDIA RTX A4000', memory_gb=16.0)]
    """
    gpus = []
    for line in text.splitlines():
        name, _, memory = line.rpartition(",")
        try:
            gpus.append(Gpu(name.strip(), round(float(memory) / 1024, 1)))
        except ValueError:
            continue
    return gpus
