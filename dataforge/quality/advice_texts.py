"""What each check found and why it matters for training, in Turkish and English: one report speaks one language
(`--report-lang`). `{n}` is the number of flagged records, `{lang}` the expected language, `{max}` the token limit.
Turkish needs no plural after a number ("3 kayıt"), so one sentence fits every count."""

from __future__ import annotations

_PII_WHY = {
    "en": "A fine-tuned model can repeat personal data it saw in training to anyone who asks, and keeping it is "
          "regulated (KVKK, GDPR).",
    "tr": "İnce ayar yapılan model, eğitimde gördüğü kişisel verileri soran herkese tekrar edebilir; bu verileri "
          "saklamak da KVKK kapsamındadır.",
}

# check -> language -> (what was found, why it matters for training)
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "invalid_records": {
        "en": ("{n} records break the format's rules and cannot be read as conversations.",
               "They are left out of training, so part of the data you meant to train on is missing."),
        "tr": ("{n} kayıt biçim kurallarına uymuyor ve konuşma olarak okunamıyor.",
               "Bu kayıtlar eğitime alınmaz; eğitmek istediğiniz verinin bir kısmı eksik kalır.")},
    "exact_duplicates": {
        "en": ("{n} records are exact copies of an earlier record.",
               "Copies weigh those answers more, so the model memorises them; a copy that lands in the validation "
               "split makes the evaluation look better than it is."),
        "tr": ("{n} kayıt, daha önceki bir kaydın birebir kopyası.",
               "Kopyalar bu cevaplara fazla ağırlık verir ve model onları ezberler; doğrulama kümesine düşen bir "
               "kopya da değerlendirmeyi olduğundan iyi gösterir.")},
    "near_duplicates": {
        "en": ("{n} records are near copies of an earlier record (the same text with small changes).",
               "Near copies act like copies: the model overfits to them and they leak between the training and "
               "validation splits."),
        "tr": ("{n} kayıt, daha önceki bir kaydın küçük değişikliklerle neredeyse aynısı.",
               "Neredeyse aynı kayıtlar kopya gibi davranır: model onlara aşırı uyum sağlar ve eğitim ile doğrulama "
               "kümeleri arasında sızıntı olur.")},
    "language": {
        "en": ("{n} records are not in the expected language ({lang}).",
               "The model answers in the language it was trained on; off-language records teach it to switch."),
        "tr": ("{n} kayıt beklenen dilde ({lang}) değil.",
               "Model eğitildiği dilde cevap verir; başka dildeki kayıtlar ona dil değiştirmeyi öğretir.")},
    "pii_tckn": {"en": ("{n} records contain a Turkish national id number (TCKN).", _PII_WHY["en"]),
                 "tr": ("{n} kayıtta T.C. kimlik numarası var.", _PII_WHY["tr"])},
    "pii_iban": {"en": ("{n} records contain an IBAN.", _PII_WHY["en"]),
                 "tr": ("{n} kayıtta IBAN var.", _PII_WHY["tr"])},
    "pii_phone": {"en": ("{n} records contain a phone number.", _PII_WHY["en"]),
                  "tr": ("{n} kayıtta telefon numarası var.", _PII_WHY["tr"])},
    "pii_email": {"en": ("{n} records contain an e-mail address.", _PII_WHY["en"]),
                  "tr": ("{n} kayıtta e-posta adresi var.", _PII_WHY["tr"])},
    "mojibake": {
        "en": ("{n} records have garbled Turkish letters (mojibake, e.g. Ä± for ı, Ã¼ for ü).",
               "The model learns to write the garbled letters itself."),
        "tr": ("{n} kayıtta bozuk kodlanmış Türkçe harfler var (ı yerine Ä±, ü yerine Ã¼ gibi).",
               "Model bu bozuk harfleri kendisi de yazmayı öğrenir.")},
    "asciified": {
        "en": ("{n} records are Turkish written without ç ğ ı ö ş ü (asciified).",
               "The model learns to leave the Turkish letters out of its answers."),
        "tr": ("{n} kayıt Türkçe harfler (ç ğ ı ö ş ü) kullanılmadan yazılmış.",
               "Model cevaplarında Türkçe harfleri kullanmamayı öğrenir.")},
    "empty_or_whitespace": {
        "en": ("{n} records have an empty turn.", "An empty answer teaches the model to answer with nothing."),
        "tr": ("{n} kayıtta boş bir mesaj var.", "Boş bir cevap, modele hiçbir şey söylememeyi öğretir.")},
    "length": {
        "en": ("{n} records have a user or assistant text outside the length bounds.",
               "Very long texts are cut off in training; empty or very short ones teach nothing."),
        "tr": ("{n} kayıtta kullanıcı ya da asistan metni uzunluk sınırlarının dışında.",
               "Çok uzun metinler eğitimde kesilir; boş ya da çok kısa olanlar bir şey öğretmez.")},
    "truncation": {
        "en": ("{n} records are longer than {max} tokens.",
               "Training cuts them at {max} tokens: the end of the answer and its end-of-turn token are lost, so "
               "the model learns answers that stop mid-sentence."),
        "tr": ("{n} kayıt {max} tokenden uzun.",
               "Eğitim onları {max} tokende keser: cevabın sonu ve konuşma sonu tokeni kaybolur, model yarıda "
               "kalan cevaplar vermeyi öğrenir.")},
    "repetition": {
        "en": ("{n} records repeat the same words or lines over and over.",
               "The model learns to loop on the same words."),
        "tr": ("{n} kayıt aynı kelimeleri ya da satırları tekrar tekrar içeriyor.",
               "Model aynı kelimeleri döngü hâlinde tekrarlamayı öğrenir.")},
    "tool_undeclared_functions": {
        "en": ("{n} records call a function that their `tools` do not define.",
               "The model learns to call functions that do not exist; at run time such a call fails."),
        "tr": ("{n} kayıt, `tools` içinde tanımlı olmayan bir işlevi çağırıyor.",
               "Model var olmayan işlevleri çağırmayı öğrenir; çalışırken bu çağrılar hata verir.")},
    "tool_schema_violations": {
        "en": ("{n} records have call arguments that are not JSON or do not fit the function's parameters "
               "(or a bad function definition).",
               "The model learns to send arguments the function rejects: wrong types, missing or misspelt keys."),
        "tr": ("{n} kayıtta çağrı argümanları JSON değil ya da işlevin parametre şemasına uymuyor (ya da işlev "
               "tanımı bozuk).",
               "Model, işlevin reddedeceği argümanlar göndermeyi öğrenir: yanlış türler, eksik ya da hatalı "
               "anahtarlar.")},
    "tool_unanswered_calls": {
        "en": ("{n} records have a call without a tool result before the next user turn, or a result that "
               "answers no call.",
               "The model sees answers built on results that are missing, and learns to make results up."),
        "tr": ("{n} kayıtta bir sonraki kullanıcı turundan önce sonucu gelmeyen bir çağrı ya da hiçbir çağrıya "
               "ait olmayan bir sonuç var.",
               "Model olmayan sonuçlara dayanan cevaplar görür ve sonuç uydurmayı öğrenir.")},
}
CUSTOM = {"en": ("{n} records break the expectation {name}.", "Your suite requires it."),
          "tr": ("{n} kayıt {name} beklentisini karşılamıyor.", "Bu kural, kullandığınız kural setinde tanımlı.")}

# The sentences around a fix; `{cmd}` is a command, `{where}` a list of file lines.
FIX = {
    "en": {"run": "Fix: {cmd}", "edit": "Edit or remove {where}.",
           "asciified": "Restore ç ğ ı ö ş ü (or remove the record) in {where}.",
           "empty": "Fix: {cmd} (drops records with an empty turn), or edit {where}.",
           "invalid": "See why with {cmd}, then edit {where}; `dataforge clean` drops them.",
           "truncation": "Raise --max-seq-len (max_length in the recipe), or shorten or split {where}.",
           "lines": "{file} lines {lines}", "more": " and {k} more",
           "not_run": "Not run: {reason}."},
    "tr": {"run": "Düzeltmek için: {cmd}", "edit": "Şu satırları düzeltin ya da silin: {where}.",
           "asciified": "Şu satırlarda ç ğ ı ö ş ü harflerini geri koyun (ya da kaydı silin): {where}.",
           "empty": "Düzeltmek için: {cmd} (boş mesajlı kayıtları çıkarır) ya da şu satırları düzeltin: {where}.",
           "invalid": "Nedenini {cmd} ile görün, sonra şu satırları düzeltin: {where}; `dataforge clean` "
                      "bunları çıkarır.",
           "truncation": "--max-seq-len değerini (tarifte max_length) artırın ya da şu satırları kısaltın veya "
                         "bölün: {where}.",
           "lines": "{file}: {lines}. satır", "more": " ve {k} satır daha",
           "not_run": "Çalıştırılmadı: {reason}."},
}

# The one-line description of each check (checks.py holds the English one), for Turkish reports.
WHAT_TR = {
    "invalid_records": "biçimin şemasına ya da kurallarına uymayan kayıtlar",
    "exact_duplicates": "önceki bir kaydın birebir kopyası (NFC ve boşluk düzeltmesinden sonra)",
    "near_duplicates": "önceki bir kayıtla aynı MinHash kümesinde (kelime 3-gramlarında Jaccard ≥ 0,7)",
    "language": "beklenen dilde olmayan kayıtlar",
    "pii_tckn": "sağlama basamağı tutan T.C. kimlik numaraları",
    "pii_iban": "mod-97 kontrolünü geçen TR IBAN'lar",
    "pii_phone": "telefon numaraları (phonenumbers, bölge TR)",
    "pii_email": "e-posta adresleri",
    "mojibake": "yanlış kod sayfasıyla çözülmüş metin (Ä± ÅŸ Ã¼, ý þ ð)",
    "asciified": "ç ğ ı ö ş ü İ kullanılmadan yazılmış Türkçe",
    "empty_or_whitespace": "boş ya da yalnız boşluktan oluşan mesajlar",
    "length": "uzunluk sınırlarının dışında kalan kullanıcı ya da asistan metni",
    "truncation": "--max-seq-len token sınırından uzun kayıtlar",
    "repetition": "Gopher tarzı tekrar (tekrarlanan n-gramlar ya da satırlar, kısa metinde tek kelime döngüsü)",
    "tool_undeclared_functions": "`tools` içinde tanımlı olmayan işlevlere çağrılar",
    "tool_schema_violations": "JSON olmayan ya da işlevin parametre şemasına uymayan argümanlar, bozuk tanımlar",
    "tool_unanswered_calls": "sonucu gelmeyen çağrılar ve hiçbir çağrıya ait olmayan sonuçlar",
}
