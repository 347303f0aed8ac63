"""The UI's words in Turkish and English. Keys are English phrases; a missing Turkish one falls back to English,
so a new page never shows a blank."""

from __future__ import annotations

from collections.abc import Callable

LANGS = ("tr", "en")

TR = {
    "Sign in": "Giriş yap", "Sign out": "Çıkış yap", "API token": "API anahtarı",
    "Paste the token printed by `dataforge serve token create --team NAME`.":
        "`dataforge serve token create --team AD` komutunun yazdığı anahtarı yapıştırın.",
    "The token is unknown or revoked.": "Anahtar bilinmiyor ya da iptal edilmiş.",
    "Datasets": "Veri kümeleri", "Jobs": "İşler", "Runs": "Eğitimler", "Team": "Takım", "Language": "Dil",
    "Name": "Ad", "Versions": "Sürümler", "Records": "Kayıtlar", "Format": "Biçim", "Last check": "Son kontrol",
    "Last change": "Son değişiklik", "No datasets yet: upload a file below.":
        "Henüz veri kümesi yok: aşağıdan bir dosya yükleyin.",
    "Upload a file": "Dosya yükle", "Dataset name": "Veri kümesi adı",
    "File (.jsonl, .json, .parquet)": "Dosya (.jsonl, .json, .parquet)",
    "Drop a file here or choose one.": "Dosyayı buraya bırakın ya da seçin.", "Upload": "Yükle",
    "Upload progress": "Yükleme ilerlemesi", "passed": "geçti", "failed": "kaldı", "not checked": "kontrol edilmedi",
    "rejected records": "reddedilen kayıt", "first 50 shown": "ilk 50 gösteriliyor",
    "Download all rejects": "Tüm reddedilenleri indir", "Open the version": "Sürümü aç",
    "Version": "Sürüm", "Valid": "Geçerli", "Rejected": "Reddedilen", "File": "Dosya", "Size": "Boyut",
    "Quality report": "Kalite raporu", "Lineage": "Soy ağacı", "Parents": "Ebeveynler", "Made by job": "Üreten iş",
    "This version": "Bu sürüm", "Children": "Türetilenler", "Trained runs": "Eğitilen modeller", "none": "yok",
    "Run a job": "İş çalıştır", "Start": "Başlat", "check": "kontrol", "clean": "temizle", "split": "böl",
    "augment": "çoğalt", "train": "eğit", "evaluate": "değerlendir", "export": "dışa aktar",
    "Quality gate": "Kalite kapısı", "The gate passed: this version may be trained on.":
        "Kapı geçildi: bu sürümle eğitim yapılabilir.",
    "The gate failed: training is disabled.": "Kapı geçilemedi: eğitim kapalı.",
    "Never checked: run a check first.": "Hiç kontrol edilmedi: önce kontrol çalıştırın.",
    "Failed checks": "Kalan kontroller", "Download data": "Veriyi indir", "No report yet: run a check.":
        "Henüz rapor yok: bir kontrol çalıştırın.",
    "Kind": "Tür", "State": "Durum", "Progress": "İlerleme", "Created": "Oluşturuldu", "Seconds": "Saniye",
    "Cancel": "İptal et", "Log (last lines)": "Günlük (son satırlar)", "Files": "Dosyalar", "Result": "Sonuç",
    "Error": "Hata", "Inputs": "Girdiler", "No jobs yet.": "Henüz iş yok.", "Job": "İş",
    "queued": "sırada", "running": "çalışıyor", "succeeded": "başarılı", "cancelled": "iptal edildi",
    "New versions": "Yeni sürümler", "Run": "Eğitim", "Recipe": "Tarif", "Gate": "Kapı",
    "Best val loss": "En iyi doğrulama kaybı", "Verdict": "Karar", "No runs yet.": "Henüz eğitim yok.",
    "Loss curves": "Kayıp eğrileri", "Overfitting onset step": "Aşırı öğrenme başlangıç adımı",
    "Best step": "En iyi adım", "Best checkpoint": "En iyi kontrol noktası", "Metrics": "Ölçümler",
    "Exports": "Dışa aktarımlar", "Trained on": "Eğitim verisi",
    "Evaluate (logs only) to see the loss curves.": "Kayıp eğrileri için değerlendirin (yalnız günlükler).",
    "Problem": "Sorun", "Back": "Geri", "Recipe for training": "Eğitim tarifi",
    "training steps (train.max_steps); empty: the recipe's": "eğitim adımı (train.max_steps); boş: tarifinki",
}

EN: dict[str, str] = {}


def translator(lang: str) -> Callable[[str], str]:
    table = TR if lang == "tr" else EN
    return lambda text: table.get(text, text)


def pick_language(accept: str) -> str:
    """Turkish when the browser asks for it before English (`Accept-Language` by q), else English."""
    ranked = []
    for i, part in enumerate(accept.split(",")):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        ranked.append((-weight, i, tag.strip().lower()[:2]))
    for _w, _i, code in sorted(ranked):
        if code in LANGS:
            return code
    return "en"
