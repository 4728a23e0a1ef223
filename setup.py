"""Installs Farmhand's three packages: `farmhand` (artist side, also inside Maya),
`farmhand_server` (the farm manager) and `farmhand_worker` (the render-node daemon)."""

from setuptools import setup

setup(
    name="farmhand",
    version="0.1.0",
    description="A render farm for Maya studios: scene analysis, submission, server and workers",
    python_requires=">=3.11",
    package_dir={
        "farmhand": "scripts/farmhand",
        "farmhand_server": "server/farmhand_server",
        "farmhand_worker": "server/farmhand_worker",
    },
    packages=[
        "farmhand",
        "farmhand.commands",
        "farmhand.scene",
        "farmhand_server",
        "farmhand_worker",
    ],
    install_requires=[],
    extras_require={
        # What runs inside Maya's own Python (installed with mayapy -m pip --target).
        "maya": ["requests>=2.31", "xxhash>=3.4", "jsonschema>=4.21"],
        "server": ["aiohttp>=3.9", "jsonschema>=4.21", "xxhash>=3.4"],
        "worker": ["requests>=2.31", "xxhash>=3.4"],
        "dev": ["pytest>=8", "hypothesis>=6.100", "ruff>=0.6"],
    },
    entry_points={"console_scripts": ["farmhand = farmhand.cli:main"]},
)
