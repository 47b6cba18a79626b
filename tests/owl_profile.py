"""Check an ontology file against the OWL 2 DL and OWL 2 RL profiles of the OWL API.

Run as a script (``python tests/owl_profile.py FILE``), in its own process, because the JVM
that JPype starts cannot be restarted and must not be copied by the build's forked workers.
It uses the OWL API 3.4 that owlready2 ships inside its HermiT.jar, and prints one JSON object:
``{"axioms": n, "profiles": {"OWL 2 DL": [violations…], "OWL 2 RL": [violations…]}}``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def check(path: Path) -> dict:
    import jpype
    import jpype.imports  # noqa: F401  (enables "from org... import" below)
    import owlready2

    jar = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"
    jpype.startJVM(classpath=[str(jar)], convertStrings=True)
    from java.io import File  # type: ignore[import-not-found]
    from org.semanticweb.owlapi.apibinding import OWLManager  # type: ignore[import-not-found]
    from org.semanticweb.owlapi.profiles import OWL2DLProfile, OWL2RLProfile  # type: ignore[import-not-found]

    ontology = OWLManager.createOWLOntologyManager().loadOntologyFromOntologyDocument(File(str(path)))
    profiles = {}
    for profile in (OWL2DLProfile(), OWL2RLProfile()):
        report = profile.checkOntology(ontology)
        profiles[str(profile.getName())] = [str(v.toString()) for v in report.getViolations()]
    return {"axioms": int(ontology.getAxiomCount()), "profiles": profiles}


if __name__ == "__main__":
    print(json.dumps(check(Path(sys.argv[1]))))
