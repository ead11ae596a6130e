"""Computable coverage: the policy's criteria and code tables as FHIR R4 resources (Da Vinci DTR and CRD).

``resources`` builds them as plain JSON data from the same model as the pages, ``logic`` turns a
criterion's ``requires`` into FHIRPath, ``files`` lays them out under ``api/fhir/`` and ``validate``
(the only module that loads the FHIR libraries) parses them with ``fhir.resources`` and checks the
invariants with ``fhirpathpy``.
"""
