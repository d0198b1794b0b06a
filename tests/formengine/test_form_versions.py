"""Form versions: a saved response keeps the id, version and content hash of the definition
it was made with, so every definition ever released stays in the catalogue, unchanged.

RELEASED pins the content hash of each released definition. A form whose text changes
without a new version, or an older version edited or deleted from forms/versions/, fails
here; a new version is added to RELEASED when it is released (forms/README.md, "Versions").
"""

from __future__ import annotations

from pathlib import Path

from ddassess.formengine import load_catalogue

FORMS = Path(__file__).resolve().parents[2] / "forms"
RELEASED = {
    ("audit", 1): "b5ccc7c8bbcc43073dc94bce6696a5e2d16ca5e057d19a9c39172ec63c40f18c",
    ("audit", 2): "5c3e11da362d64b822482123f5b03e8383a10e5af5b15915e5a396a330303257",
    ("audit", 3): "1fe25948f1d5bcccd18a6737effe4f66a3d0fcb3867e1cf7e483f8e174835529",
    ("audit", 4): "e41cc936dbb72d054fd862b8a5b48f0f318851101328d6316616ed6d3842d0d6",
    ("audit_c", 1): "c0a192cb4a74567ac03d274ec21dcb7cd1a537f783e11a53b4de624dc599569a",
    ("care_plan", 1): "f35016c60735f69584ba5aea7e47b9d8c803e2ec09895f7f9aa7adaac6d6af9f",
    ("care_plan", 2): "8d163b333fbdf2c802959c02a9e9b6cb26b61103c1b24f4e212c09bd781c71b8",
    ("care_plan", 3): "ace63b61fbb19786e352c0354405c7e64e25072d7c11b83387fbf3be59875c69",
    ("complex_case_review", 1): "35234644f4629a8a5b606c884268861504aad57180ce56b763fe9253bea93c3b",
    ("complex_case_review", 2): "a860ae55c2d0199be435d6bff49bb3100952d791d7b5fda294d9bbfbdbebaa8e",
    ("complex_case_review", 3): "1b9e12f268faf4375a62e606dff3dfba38df15c611b2e1cdb6c00df01fec9a80",
    ("consent", 1): "34c2a0346af283cbb4546d4b0e30eae26f29b985a3a2d9174d676367ac72a45f",
    ("consent", 2): "b2371a62314ad6b8e69338a1ce39453d6c2e6d6eb5d810047026d796d049d5eb",
    ("consent", 3): "f5b8838aac01c76856e42d24675fd0d5c7ee16b4e585033b9d1b70b7c8e6884b",
    ("crisis_plan", 1): "4aac2098f21ad467a78ce2c915cf4a8adaa0a2726653cbb01854d622fcc6c4e1",
    ("crisis_plan", 2): "27478aafef2f5fcef197d373b68993124bf6c6c90892fb4cde07c632cffd7f6b",
    ("crisis_plan", 3): "3575d733010a6ee461645276c38651253d49943d2d779ddea67d13cdfd8b9aef",
    ("dast10", 1): "0de77f080c468a34cf4576ab422e639311b65f9c4c20a1e5d393642ce29698b9",
    ("dast10", 2): "bf72faead6d84697b0e464b335a49c8e60119b0d73aaf65667ecc1900918caf1",
    ("discharge", 1): "1f3580803eaef68c5f7bce124b839988c99d84fa13f393918d883957cee2f90e",
    ("discharge", 2): "85dc715128424410a60437ab24afa2d4eecaa7bbff4190fb61f1538a7223b11a",
    ("fast", 1): "816e8a209413314d66b71e23e35e7ab54c1fd737e8e04ff65317ed0035e6eb5c",
    ("fast", 2): "ddbafbfd3b95b2b38644bc0b65ba5bdf293204542a0ef30cbc0634570b70e619",
    ("fast", 3): "b46c393e3186189e55d0a9f9a8376d39e7e2651750d844190deadc38dfc3a309",
    ("gad7", 1): "16f93585a5bad794a6a8facd10581862f3bb4acb51b32a1be4738178363dddf6",
    ("gad7", 2): "813f698629c8e53b9cd2f88e145ec2479f4fb02d269e395349806c1638db71d3",
    ("joint_assessment", 1): "be3ecd547d8cf201bb17ece6c0477480ac4270fc7517fd2e1e50020aeebbf214",
    ("joint_assessment", 2): "fe57376dd8c5c6dbe15518d70e9ba4e7485498e36cdf164b76765064b8c0ab9d",
    ("joint_assessment", 3): "ae20ba299ff8620870b08566606d5128f918ed052de608478edb126bad3b0bf8",
    ("joint_review", 1): "2f0e10cad6ec6ed1001cb3e36cf39d383f63867907f57327877dae11e586b24d",
    ("joint_review", 2): "f1424be64b7d38e80c303585b4346b41ad882ff9943204a0a198e7cff84c781e",
    ("joint_review", 3): "266f2235f942bf523c597fbbef596cb23e09f7832601bf055bba8a8bb72d2637",
    ("lead_agency", 1): "64ce6066839b2c272f9f0d18ea4b175486027627a9961fad33ae999badfdfea6",
    ("lead_agency", 2): "630155812832f31c8f2f15d31e858423fd7082e9f4312d8621ab5867bfd62e0b",
    ("lead_agency", 3): "1b42750543973a3fcdba8dd971c287abe6041ab3341ca5e1d150deb0438255d1",
    ("phq9", 1): "0973dc128c3ca69bcab8b03efd0389cc9b004d8ae54410a4fe81154333aebb74",
    ("phq9", 2): "7da94d814b323d3039d242ed8d0d6429fbb08d93f28cc08e0a3ef034499a9379",
    ("referral", 1): "e8c909097df0fbaa1e7f61670018df43c3bc11da15e6b89cf0a66b173020dc2d",
    ("referral", 2): "c631dcb77743694fc254b0116e0b1242d82907092fb5fc2cd0cf77a2b7586727",
    ("risk", 1): "f6046bb838db1f338a39299376c795228d33095014fca8427d36e0a559ff96eb",
    ("risk", 2): "b8cc251f3a1c724590bea84f3fad11b770cfd0b7d1890a10449988b0a7f7f49f",
    ("risk", 3): "836fb13d1ae2168ec309574e5f34f98e4d3ba19652aa80df2cb14b6cfa786581",
    ("sadq", 1): "394d56801dab748ca1b7f5b1c58c504a05b11e0a2afa6617e3f7774d604e2bf1",
    ("sadq", 2): "363fb2d7fba98cfc026d170ae819b39036fb0a6ee8895fb156297cb1b629239e",
    ("sadq", 3): "4d63efc57fe6e025796f97e10bbdf17fba98ae6078b31ada6ef72be38dd704fe",
    ("sds", 1): "420b6cb09b69649985a8e0dde23f917e0d7453326396de402f2457e706e1a940",
    ("sds", 2): "ef93c4d64cd83c79c82d31b2683290cd3d67b1e6a31ad5a70e2a9fc1eb033dc6",
    ("substance_profile", 1): "4001ce74487920eac40299a6ab4895da54a4a4baf627680e7f51822d736b6824",
    ("substance_profile", 2): "6ba9b6012a1481878dbeec40751d53d26ceab0f63026572664fa03a84408558a",
    ("substance_profile", 3): "1eb99bb6e9f66840caa879df099c7293521a3f3eeddbc61a92a4b5426573a320",
}


def test_every_released_definition_is_kept_with_its_hash(catalogue):
    catalogue.read_all()
    found = {key: spec.content_hash for key, spec in catalogue.all_versions.items()}
    changed = sorted(k for k, h in RELEASED.items() if k in found and found[k] != h)
    assert not changed, f"changed without a new version: {changed} (copy the old file to versions/ and bump)"
    assert not sorted(set(RELEASED) - set(found)), "a released definition is no longer in forms/versions/"
    for (form_id, version), content_hash in RELEASED.items():  # what opening a saved response asks for
        assert catalogue.definition_for(form_id, version, content_hash).key == f"{form_id}@{version}"


def test_every_definition_in_the_catalogue_is_pinned(catalogue):
    catalogue.read_all()
    assert sorted(set(catalogue.all_versions) - set(RELEASED)) == [], "add new versions to RELEASED"


def test_older_versions_are_frozen_files_and_the_current_one_is_newest(catalogue):
    catalogue.read_all()
    for path in sorted((FORMS / "versions").glob("*.yaml")):
        form_id, version = path.stem.split("@")
        assert (form_id, int(version)) in catalogue.all_versions, path.name
        assert catalogue.get(form_id).version > int(version), f"{path.name} is not older than {form_id}.yaml"
    for form_id, spec in catalogue.forms.items():
        assert catalogue.versions(form_id) == list(range(1, spec.version + 1)), form_id


def test_an_edit_without_a_new_version_is_caught(tmp_path):
    import shutil

    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    text = (forms / "gad7.yaml").read_text()
    (forms / "gad7.yaml").write_text(text.replace("Trouble relaxing", "Trouble unwinding"))
    cat = load_catalogue(forms)
    current = cat.get("gad7")
    assert current.content_hash != RELEASED[("gad7", current.version)]


def test_older_versions_are_read_only_when_asked_for():
    """Opening the catalogue reads the current forms; an older version is read when a
    response made with it is opened (most sessions open none)."""
    cat = load_catalogue(FORMS)
    assert set(cat.all_versions) == {(s.id, s.version) for s in cat.forms.values()}
    assert ("phq9", 1) in cat.unread and cat.versions("phq9") == [1, 2]
    current = cat.get("phq9")
    assert cat.definition_for("phq9", current.version, current.content_hash) is current
    assert ("phq9", 1) in cat.unread  # the current definition's hash needed no older file
    old = cat.definition_for("phq9", 1, RELEASED[("phq9", 1)])
    assert old.version == 1 and ("phq9", 1) not in cat.unread and ("gad7", 1) in cat.unread
    assert cat.get("gad7", 1).version == 1 and ("gad7", 1) not in cat.unread
    assert cat.by_hash(RELEASED[("consent", 1)]).key == "consent@1" and not cat.unread  # a search reads all


def test_a_broken_older_version_is_reported_when_read(tmp_path):
    import shutil

    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    (forms / "versions" / "gad7@1.yaml").write_text("id: gad7\nversion: [oops\n")
    cat = load_catalogue(forms)
    assert cat.problems == [] and cat.get("gad7").version == 2  # the current forms are unaffected
    cat.read_all()
    assert [p.code for p in cat.problems] == ["FORM_001"] and cat.problems[0].file.endswith("gad7@1.yaml")
    assert ("gad7", 1) not in cat.all_versions
