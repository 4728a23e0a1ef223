"""Moving bytes between an artist's machine and the farm.

Owns the HTTP client of the farm API (`client`), MD5 + xxh64 hashing (`hashing`) and its local
cache (`hashcache`), "the file changed" (`changes`: the rule and its one error), the resumable
upload of what the farm lacks (`upload`) and the download of a job's outputs (`download`). May
import `farmhand.spec` and `farmhand.user_dirs`; never the scene analysis, the panel or Maya."""
