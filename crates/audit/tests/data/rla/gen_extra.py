# Regenerates consistent_sampler_extra.json with the `consistent_sampler` package (pip install consistent-sampler==1.0.10).
import json, consistent_sampler as cs
cases = []
manifest = [(("J1", None, "B1"), 5), (("J1", "T1", "B'2"), 3), (("Cty, X", None, 'say "hi"'), 4)]
ids = [(key, i) for key, n in manifest for i in range(1, n + 1)]
out = list(cs.sampler(ids, seed="01382438112797316654", with_replacement=True, take=15, output="tuple", digits=9))
cases.append({"seed": "01382438112797316654", "manifest": [[list(k), n] for k, n in manifest], "with_replacement": True, "take": 15, "digits": 9,
              "draws": [{"ticket": t, "id": str(i), "generation": g} for t, i, g in out]})
ids = ["ballot-%d" % i for i in range(1, 1001)]
out = list(cs.sampler(ids, seed="12345678901234567890", with_replacement=False, take=20, output="tuple", digits=12))
cases.append({"seed": "12345678901234567890", "ids": "ballot-1..ballot-1000", "with_replacement": False, "take": 20, "digits": 12,
              "draws": [{"ticket": t, "id": str(i), "generation": g} for t, i, g in out]})
out = list(cs.sampler(ids[:50], seed="12345678901234567890", with_replacement=True, take=60, output="tuple", digits=9))
cases.append({"seed": "12345678901234567890", "ids": "ballot-1..ballot-50", "with_replacement": True, "take": 60, "digits": 9,
              "draws": [{"ticket": t, "id": str(i), "generation": g} for t, i, g in out]})
print(json.dumps(cases, indent=1))
