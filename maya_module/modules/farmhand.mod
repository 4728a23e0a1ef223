+ MAYAVERSION:2025 PLATFORM:win64 farmhand 0.1.0 ../..
PYTHONPATH+:=vendor/2025-win64

+ MAYAVERSION:2025 PLATFORM:linux farmhand 0.1.0 ../..
PYTHONPATH+:=vendor/2025-linux

+ MAYAVERSION:2025 PLATFORM:mac farmhand 0.1.0 ../..
PYTHONPATH+:=vendor/2025-mac

+ MAYAVERSION:2026 PLATFORM:win64 farmhand 0.1.0 ../..
PYTHONPATH+:=vendor/2026-win64

+ MAYAVERSION:2026 PLATFORM:linux farmhand 0.1.0 ../..
PYTHONPATH+:=vendor/2026-linux

+ MAYAVERSION:2026 PLATFORM:mac farmhand 0.1.0 ../..
PYTHONPATH+:=vendor/2026-mac
