"""The admin's English texts, keyed by the Russian original (see ``kiosk.admin.i18n``)."""

from __future__ import annotations

__all__ = ["EN"]

EN: dict[str, str] = {
    # --- the app, tabs, dialogs -------------------------------------------------------
    "Киоск — пульт родителя": "Kiosk — parent's console",
    "Обзор": "Status",
    "Разговоры": "Talks",
    "Память": "Memory",
    "Персонаж": "Persona",
    "Настройки": "Settings",
    "Чат": "Chat",
    "Служба": "Service",
    "Выход": "Quit",
    "Вкладки": "Tabs",
    "Ошибка": "Error",
    "Отмена": "Cancel",
    "Да": "Yes",
    "Нет": "No",
    "Сохранить": "Save",
    "да": "yes",
    "нет": "no",
    "Аня": "Anya",
    "Ребёнок": "Child",
    "Родитель": "Parent",
    "{v:.0f} мс": "{v:.0f} ms",
    "{v:.1f} ГБ": "{v:.1f} GB",
    "{v:.0f} МБ": "{v:.0f} MB",
    "{h} ч {m:02d} мин": "{h} h {m:02d} min",
    "{m} мин {s:02d} с": "{m} min {s:02d} s",
    # --- daemon connection ------------------------------------------------------------
    "Демон не отвечает ({path}): {why}": "The daemon does not answer ({path}): {why}",
    "запустите его на вкладке «Служба» (или sudo systemctl start kiosk)": (
        "start it on the Service tab (or sudo systemctl start kiosk)"
    ),
    "Демон отказал в «{cmd}»: {why}": "The daemon refused “{cmd}”: {why}",
    "посмотрите журнал на вкладке «Служба»": "see the journal on the Service tab",
    "Демон не ответил на «{cmd}»: {why}": "The daemon did not answer “{cmd}”: {why}",
    "проверьте журнал на вкладке «Служба»": "check the journal on the Service tab",
    # --- dashboard ----------------------------------------------------------------------
    "Распознавание": "Recognition",
    "Первое слово": "First word",
    "Первый звук": "First sound",
    "Первый кадр": "First frame",
    "Весь ответ": "Whole reply",
    "Кадры/с": "Frames/s",
    "спит": "sleeping",
    "слушает": "listening",
    "думает": "thinking",
    "говорит": "speaking",
    "Говорить": "Talk",
    "Прочитано": "Mark read",
    "Обновить": "Refresh",
    "Состояние": "State",
    "Персонаж:": "Persona:",
    "работает {uptime}": "up {uptime}",
    "(прослушивание на паузе)": "(listening paused)",
    "Демон не запущен": "Daemon not running",
    "Демон молчит": "Daemon silent",
    " (последние данные {s:.0f} с назад)": " (last data {s:.0f} s ago)",
    "— ниже данные из базы": "— figures below are from the database",
    "Движки: ": "Engines: ",
    "мозг": "brain",
    "голос": "voice",
    "аватар": "avatar",
    "Персонаж в настройках: {p}": "Persona in the settings: {p}",
    "CPU, память и GPU видны, когда работает демон": (
        "CPU, memory and GPU are shown while the daemon runs"
    ),
    "CPU {cpu:.0f}%  ОЗУ {ram}": "CPU {cpu:.0f}%  RAM {ram}",
    "VRAM {used} из {total}": "VRAM {used} of {total}",
    " (киоск {mb})": " (kiosk {mb})",
    "GPU нет — всё на процессоре": "no GPU — everything on the CPU",
    "Новых тревог: {n}": "New alerts: {n}",
    "(r — отметить прочитанными)": "(r — mark as read)",
    "Новых тревог нет": "No new alerts",
    "Сегодня: разговоров {c}, реплик ребёнка {t}, говорили {d}": (
        "Today: {c} talks, {t} child lines, talked {d}"
    ),
    "Лимит: {used:.0f} из {limit} мин": "Limit: {used:.0f} of {limit} min",
    " (осталось {left:.0f})": " ({left:.0f} left)",
    "— исчерпан, Аня прощается до завтра": "— used up, Anya says goodbye till tomorrow",
    "Лимита на день нет": "No daily limit",
    "тихие часы {span}: [b]сейчас[/]": "quiet hours {span}: [b]now[/]",
    "тихие часы {span}": "quiet hours {span}",
    "тихих часов нет": "no quiet hours",
    "Бенч ещё не запускали: kiosk bench --quick": "No bench run yet: kiosk bench --quick",
    "быстрый": "quick",
    "полный": "full",
    "Бенч {when} {kind}: звук через {audio}, {fps} кадр/с, поток/послед. {ratio}": (
        "Bench {when} {kind}: sound after {audio}, {fps} fps, stream/seq. {ratio}"
    ),
    "«Говорить» работает, только когда демон запущен (вкладка «Служба»)": (
        "“Talk” works only while the daemon runs (Service tab)"
    ),
    "Эта версия демона ещё не умеет «Говорить» — обновите киоск": (
        "This daemon cannot “Talk” yet — update the kiosk"
    ),
    "Аня не слушает": "Anya is not listening",
    "Аня слушает — пусть ребёнок говорит": "Anya is listening — let the child speak",
    # --- conversations ----------------------------------------------------------------
    "Поиск": "Search",
    "В Markdown": "To Markdown",
    "В JSON": "To JSON",
    "Стереть всё": "Wipe all",
    "Поиск по словам (Enter), Esc — назад": "Search words (Enter), Esc — back",
    "Дни": "Days",
    "Выберите разговор слева": "Pick a talk on the left",
    "Разговоров пока нет.": "No talks yet.",
    "радость": "happy",
    "грусть": "sad",
    "удивление": "surprised",
    "раздумье": "thinking",
    "восторг": "excited",
    "спокойствие": "calm",
    "беспокойство": "concern",
    "Найдено: {n}": "Found: {n}",
    "по «{q}»": "for “{q}”",
    "Выгрузка не удалась": "Export failed",
    "Выгрузка": "Export",
    "Сохранено: {path}": "Saved: {path}",
    "Стереть всё о ребёнке?": "Wipe everything about the child?",
    "Удалятся все разговоры, реплики и всё, что Аня помнит. Настройки останутся. "
    "Отменить это нельзя — сначала можно выгрузить (m или j).": (
        "All talks, lines and everything Anya remembers will be deleted. Settings stay. "
        "This cannot be undone — export first if you like (m or j)."
    ),
    "Стереть": "Wipe",
    "Ничего не удалено": "Nothing was deleted",
    "Не удалось стереть": "Could not wipe",
    "Стёрто: разговоров {c}, реплик {t}, фактов {f}": "Wiped: {c} talks, {t} lines, {f} facts",
    "Данные ребёнка удалены": "The child's data is deleted",
    # --- memory -----------------------------------------------------------------------
    "Добавить": "Add",
    "Изменить": "Edit",
    "Закрепить": "Pin",
    "Забыть": "Forget",
    "№": "#",
    "Вес": "Weight",
    "Факт": "Fact",
    "Из": "From",
    "Дата": "Date",
    "вручную": "by hand",
    "Что Аня помнит": "What Anya remembers",
    "(◆ закреплено — всегда в промпте)": "(◆ pinned — always in the prompt)",
    "Промпт следующей реплики": "Next prompt",
    "Персонаж не загружается: {why}": "The persona does not load: {why}",
    "Фактов нет — a, чтобы добавить": "No facts — a to add one",
    "Факт (например: у Маши аллергия на орехи)": "Fact (e.g. Masha is allergic to nuts)",
    "Вес 0..1 (выше — важнее)": "Weight 0..1 (higher — more important)",
    "Новый факт": "New fact",
    "Вес 0..1": "Weight 0..1",
    "Факт №{id}": "Fact #{id}",
    "Не добавлено: {why}": "Not added: {why}",
    "Запомнено (№{id})": "Remembered (#{id})",
    "Не сохранено: {why}": "Not saved: {why}",
    "Факт №{id} изменён": "Fact #{id} changed",
    "Закреплено": "Pinned",
    "Откреплено": "Unpinned",
    "Аня забыла: {fact}": "Anya forgot: {fact}",
    "Забыть «{fact}»?": "Forget “{fact}”?",
    "вес должен быть числом от 0 до 1": "the weight must be a number from 0 to 1",
    "факт не может быть пустым": "a fact cannot be empty",
    # --- persona ----------------------------------------------------------------------
    "Сделать активным": "Make active",
    "Новый": "New",
    "Имя": "Name",
    "Возраст": "Age",
    "Род речи": "Grammatical gender",
    "Характер": "Character",
    "Интересы": "Interests",
    "Манера речи": "Speech style",
    "Приветствие": "Greeting",
    "Прощание": "Farewell",
    "Голос": "Voice",
    "Аватар": "Avatar",
    "Любимые темы": "Favourite topics",
    "Запретные темы": "Blocked topics",
    "Доп. указания": "Extra instructions",
    "Идентификатор": "Id",
    "★ активный · ": "★ active · ",
    "свой файл": "own file",
    "встроенный": "built-in",
    "Не сохранено": "Not saved",
    "Сохранено: {what}": "Saved: {what}",
    "Не переключено": "Not switched",
    "Активный персонаж: {name}": "Active persona: {name}",
    "Демон не запущен — изменения применятся при его запуске": (
        "The daemon is not running — the changes apply when it starts"
    ),
    "Демон применил изменения": "The daemon applied the changes",
    "Идентификатор (латиница, цифры, - и _)": "Id (latin letters, digits, - and _)",
    "Новый персонаж из текущего": "New persona from this one",
    "Идентификатор: только a-z, 0-9, - и _": "Id: only a-z, 0-9, - and _",
    "Персонаж {id} уже есть": "Persona {id} exists already",
    "Не создан": "Not created",
    "Создан: {name} ({id}); ctrl+o — сделать активным": (
        "Created: {name} ({id}); ctrl+o — make it active"
    ),
    "Персонаж не сохранён: {why}": "Persona not saved: {why}",
    "исправьте эти поля": "correct these fields",
    "«{label}» ({name}): нужно целое число, а не «{text}»": (
        "“{label}” ({name}): a whole number is needed, not “{text}”"
    ),
    "запустите kiosk admin от пользователя kiosk (sudo -u kiosk kiosk admin)": (
        "run kiosk admin as the kiosk user (sudo -u kiosk kiosk admin)"
    ),
    # --- settings ---------------------------------------------------------------------
    "Вернуть": "Revert",
    "Tab — следующее поле, ctrl+s — сохранить всё, ctrl+z — вернуть как было.": (
        "Tab — next field, ctrl+s — save all, ctrl+z — undo the edits."
    ),
    "Аватар из фото": "Avatar from photo",
    "Файл: {path}": "File: {path}",
    " (будет создан)": " (will be created)",
    "Ничего не изменилось": "Nothing changed",
    "Аватар «{name}» включён": "Avatar “{name}” is on",
    "Демон перечитал настройки": "The daemon re-read the settings",
    "Сохранено; «{sections}» вступит в силу после перезапуска демона "
    "(вкладка «Служба», клавиша r)": "Saved; «{sections}» takes effect after a daemon restart "
    "(Service tab, key r)",
    "Демон не запущен — настройки применятся при запуске": (
        "The daemon is not running — the settings apply when it starts"
    ),
    "нужно время ЧЧ:ММ, например 21:30": "a time HH:MM is needed, e.g. 21:30",
    "не меньше {limit}": "at least {limit}",
    "не больше {limit}": "at most {limit}",
    "одно из: {choices}": "one of: {choices}",
    "тихие часы: укажите и начало, и конец (ЧЧ:ММ) или ни то, ни другое": (
        "quiet hours: give both the start and the end (HH:MM), or neither"
    ),
    "«{label}» ({key}): не понимаю «{text}»": "“{label}” ({key}): cannot read “{text}”",
    "{target}: не удаётся прочитать: {exc}": "{target}: cannot read: {exc}",
    "исправьте файл": "correct the file",
    "исправьте значение": "correct the value",
    "Не удаётся записать {target}: {why}": "Cannot write {target}: {why}",
    "запустите kiosk admin от пользователя, которому можно писать этот файл "
    "(например sudo -u kiosk kiosk admin)": (
        "run kiosk admin as a user who may write this file (e.g. sudo -u kiosk kiosk admin)"
    ),
    "Имя ребёнка": "Child's name",
    "Аня будет звать так ребёнка": "what Anya calls the child",
    "Фразы пробуждения": "Wake phrases",
    "через запятую, строчными": "comma-separated, lower case",
    "Чувствительность": "Wake sensitivity",
    "0..1, выше — чутче": "0..1, higher — more eager",
    "Окно продолжения, с": "Follow-up window, s",
    "0..120 секунд": "0..120 seconds",
    "Громкость": "Volume",
    "Тихие часы: с": "Quiet hours: from",
    "Тихие часы: до": "Quiet hours: to",
    "ЧЧ:ММ, пусто — нет": "HH:MM, empty — none",
    "Тихие часы: Аня спит и на своё имя только желает спокойной ночи. Укажите и начало, "
    "и конец (можно через полночь: 21:30 — 07:00) или оставьте оба пустыми.": (
        "Quiet hours: Anya sleeps and only says good night when called. Give both the "
        "start and the end (over midnight is fine: 21:30 — 07:00) or leave both empty."
    ),
    "Конец тихих часов, ЧЧ:ММ; может быть раньше начала (через полночь).": (
        "End of the quiet hours, HH:MM; may be earlier than the start (over midnight)."
    ),
    "Хранить историю, дней": "Keep history, days",
    "0 — всю": "0 — all of it",
    "Разговоры старше стольких дней удаляются раз в час; 0 — хранить всё. "
    "Память Ани (факты) не трогается.": (
        "Conversations older than this many days are deleted hourly; 0 keeps everything. "
        "Anya's memory (facts) is not touched."
    ),
    "Лимит в день, мин": "Daily limit, min",
    "0 — без лимита": "0 — no limit",
    "Сколько минут в день можно разговаривать (речь ребёнка и ответы Ани вместе); "
    "0 — без ограничения.": (
        "Minutes of talk per day (the child's speech and Anya's replies together); 0 — no limit."
    ),
    "Уровень защиты": "Safety level",
    "standard — не пропускает неподходящее для 12 лет; strict — ещё и мягко уводит от "
    "страшных и взрослых тем (война, ужасы, свидания, деньги).": (
        "standard — blocks what is unfit for a 12-year-old; strict — also steers gently "
        "away from scary or grown-up topics (war, horror, dating, money)."
    ),
    "Тревоги родителю": "Alerts to parent",
    "да / нет": "yes / no",
    "Записывать тревогу на «Обзор», когда ребёнок говорит об опасности, о том, чтобы "
    "навредить себе, или о насилии.": (
        "Record an alert on Status when the child talks about danger, self-harm or abuse."
    ),
    "Синтезатор": "Speech engine",
    "Модель защиты": "Safety model",
    "После списков слов спрашивать маленькую обученную модель: она ловит пересказы "
    "тревожных слов («папа швыряет в меня вещи») ценой нескольких лишних остановок.": (
        "After the word lists, ask a small trained model: it catches paraphrased "
        "disclosures (“dad throws things at me”) at the cost of a few extra blocks."
    ),
    "espeak и festival есть всегда; piper и coqui — после kiosk models import; trained — "
    "голос из kiosk voice train.": (
        "espeak and festival are always there; piper and coqui after kiosk models import; "
        "trained is a voice from kiosk voice train."
    ),
    "Обученный голос": "Trained voice",
    "для trained; пусто — единственный": "for trained; empty — the only one",
    "Темп речи, сл/мин": "Speech rate, wpm",
    "Высота голоса": "Voice pitch",
    "ctrl+f — сделать из фото": "ctrl+f — make from a photo",
    "Имя подготовленного аватара; пусто — нарисованное лицо. Ctrl+F делает аватар из "
    "фотографии (с вашего согласия) и вписывает его сюда.": (
        "Name of a prepared avatar; empty — the drawn face. Ctrl+F makes an avatar from a "
        "photo (with your consent) and puts its name here."
    ),
    "Модель распознавания": "Speech model",
    "имя из kiosk models list": "a name from kiosk models list",
    "Где распознавать": "Recognise on",
    "Мозг": "Brain",
    "Модель LLM": "LLM model",
    "пусто — лучшая установленная": "empty — best installed",
    "Температура LLM": "LLM temperature",
    "Выгружать через, мин": "Unload after, min",
    "0 — держать": "0 — keep loaded",
    "Через сколько минут без разговоров выгружать модели из видеопамяти; 0 — держать "
    "загруженными (первый ответ после паузы быстрее).": (
        "Minutes without talk after which models leave GPU memory; 0 — keep them loaded "
        "(the first reply after a pause is faster)."
    ),
    "Во весь экран": "Full screen",
    # --- avatar from a photo ----------------------------------------------------------
    "Аватар из фотографии": "Avatar from a photo",
    "Эта фотография станет лицом говорящего аватара: программа найдёт на ней лицо и будет "
    "его анимировать (рот, глаза, эмоции). Фото и аватар хранятся только на этом "
    "устройстве и никуда не отправляются; удалить их можно командой kiosk data wipe или "
    "удалив папку аватара. Подтвердите, что вы родитель или законный представитель "
    "человека на фото и согласны на создание его анимированного изображения.": (
        "This photo becomes the face of a talking avatar: the program finds the face and "
        "animates it (mouth, eyes, emotions). The photo and the avatar stay on this device "
        "and are sent nowhere; remove them with kiosk data wipe or by deleting the avatar "
        "folder. Confirm that you are the parent or legal guardian of the person in the "
        "photo and agree to an animated image of them being made."
    ),
    "Файл фотографии (JPEG или PNG, одно лицо анфас)": "Photo file (JPEG or PNG, one face)",
    "Имя аватара (пусто — по имени файла)": "Avatar name (empty — from the file name)",
    "Я родитель или законный представитель и согласен(на)": (
        "I am the parent or legal guardian and I agree"
    ),
    "Создать": "Create",
    "Укажите файл фотографии": "Give the photo file",
    "Имя «{name}» не подходит: буквы, цифры, - и _": (
        "Name “{name}” won't do: letters, digits, - and _"
    ),
    "Без согласия аватар не создаётся: отметьте галочку": (
        "No avatar without consent: tick the box"
    ),
    "Подождите: аватар готовится": "Please wait: the avatar is being prepared",
    "Не получилось": "Failed",
    "Аватар «{name}» готов за {s:.0f} с": "Avatar “{name}” ready in {s:.0f} s",
    "ищу лицо": "finding the face",
    "улучшаю лицо": "enhancing the face",
    "готовлю рот и глаза": "preparing mouth and eyes",
    # --- chat ---------------------------------------------------------------------------
    "Сказать вслух": "Say aloud",
    "Очистить": "Clear",
    "Напишите как ребёнок и нажмите Enter": "Type as the child and press Enter",
    "Пишите как ребёнок — Аня ответит. Если демон работает, ответ идёт через него (и звучит "
    "в комнате); иначе — напрямую через тот же мозг, без звука.": (
        "Type as the child — Anya answers. With the daemon running the reply goes through "
        "it (and is heard in the room); otherwise straight through the same brain, silently."
    ),
    "демон": "daemon",
    "напрямую": "direct",
    "Аня не ответила": "Anya did not answer",
    "Напишите, что сказать, и нажмите ctrl+p": "Type what to say and press ctrl+p",
    "Сказать вслух может только запущенный демон": "Only a running daemon can say it aloud",
    "Вслух": "Aloud",
    # --- service ------------------------------------------------------------------------
    "Запуск": "Start",
    "Стоп": "Stop",
    "Перезапуск": "Restart",
    "Статус": "Status",
    "Журнал": "Journal",
    "Проверка": "Check",
    "Служба {unit}; d — проверить всё (kiosk doctor). Клавиши — внизу.": (
        "Service {unit}; d — check everything (kiosk doctor). Keys are below."
    ),
    "{tool} не найден: здесь нет systemd (обычный компьютер или контейнер)": (
        "{tool} not found: no systemd here (an ordinary computer or a container)"
    ),
    "{cmd}: нет ответа за {s:.0f} с": "{cmd}: no answer in {s:.0f} s",
    "systemd недоступен: запустите демон вручную (kiosk run)": (
        "systemd is not available: start the daemon by hand (kiosk run)"
    ),
    "нужны права: запустите kiosk admin через sudo": "permission needed: run kiosk admin with sudo",
    "подробности — в журнале (j)": "details in the journal (j)",
    "systemctl {verb}: код {code}; {hint}": "systemctl {verb}: code {code}; {hint}",
    "systemctl {verb}: готово": "systemctl {verb}: done",
    "(пусто)": "(empty)",
    "journalctl недоступен": "journalctl is not available",
    "Проверка (kiosk doctor)…": "Checking (kiosk doctor)…",
    "Проверка: ошибок {n}": "Check: {n} errors",
    "Проверка: всё в порядке": "Check: all fine",
}
"""Russian original → English."""
