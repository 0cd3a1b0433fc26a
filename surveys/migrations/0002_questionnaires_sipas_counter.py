"""Load the two ready questionnaires: ``sipas`` (full SIPAS) and ``counter`` (3-level rating).

SIPAS follows the Ministry of Home Affairs' method (Decision 1001/QĐ-BNV, 2023):
five elements, each item rated on the 5-level scale, then the areas citizens
expect improved. The counter rating follows Decree 61/2018 (now Decree
118/2025/NĐ-CP): one 3-level rating, an optional reason, an optional comment.
The rows are written only when the code is not there yet, so the migration
is safe on a database where an admin already made these questionnaires.
"""

from django.db import migrations

EXPECTATION_LEVELS = [
    {"value": "rat_nhieu", "label_vi": "Rất nhiều", "label_en": "Very much"},
    {"value": "nhieu", "label_vi": "Nhiều", "label_en": "Much"},
    {"value": "it", "label_vi": "Ít", "label_en": "A little"},
]

REASONS = [
    {"value": "time", "label_vi": "Thời gian giải quyết", "label_en": "Processing time"},
    {"value": "attitude", "label_vi": "Thái độ phục vụ", "label_en": "Officer attitude"},
    {"value": "professionalism", "label_vi": "Chuyên môn, hướng dẫn", "label_en": "Professionalism and guidance"},
    {"value": "papers", "label_vi": "Giấy tờ, thủ tục phức tạp", "label_en": "Papers and steps too complex"},
    {"value": "fees", "label_vi": "Phí, lệ phí", "label_en": "Fees and charges"},
    {"value": "disclosure", "label_vi": "Công khai thông tin", "label_en": "Public disclosure"},
    {"value": "facilities", "label_vi": "Cơ sở vật chất", "label_en": "Facilities"},
    {"value": "other", "label_vi": "Lý do khác", "label_en": "Other reason"},
]

SIPAS = {
    "code": "sipas",
    "name_vi": "Chỉ số hài lòng về sự phục vụ hành chính (SIPAS)",
    "name_en": "Satisfaction Index of Public Administrative Services (SIPAS)",
    "description_vi": (
        "Phiếu khảo sát theo phương pháp đo lường sự hài lòng của Bộ Nội vụ: "
        "5 yếu tố, mỗi nội dung chọn một mức từ 1 (Rất không hài lòng) đến 5 (Rất hài lòng)."
    ),
    "description_en": (
        "Survey following the Ministry of Home Affairs' satisfaction method: five elements, "
        "each item rated from 1 (very dissatisfied) to 5 (very satisfied)."
    ),
    "criteria": [
        (
            "access",
            "Tiếp cận dịch vụ",
            "Access to the service",
            [
                ("access_info", "Thông tin về thủ tục dễ tìm, qua nhiều kênh thuận tiện",
                 "Information on the procedure is easy to find, through convenient channels"),
                ("access_signage", "Biển chỉ dẫn tại nơi giải quyết thủ tục rõ ràng, dễ thấy",
                 "Signs at the office are clear and easy to see"),
                ("access_clean", "Nơi giải quyết thủ tục sạch sẽ, thoáng mát",
                 "The premises are clean and airy"),
                ("access_facilities", "Có đủ ghế ngồi, bàn viết, trang thiết bị phục vụ",
                 "There are enough seats, desks and equipment"),
            ],
        ),
        (
            "procedure",
            "Thủ tục hành chính",
            "Administrative procedure",
            [
                ("procedure_posted", "Thủ tục hành chính được niêm yết công khai đầy đủ",
                 "The procedure is fully and publicly posted"),
                ("procedure_papers", "Thành phần hồ sơ phải nộp đúng quy định",
                 "The papers required are as regulated"),
                ("procedure_fees", "Phí, lệ phí phải nộp đúng quy định",
                 "The fees charged are as regulated"),
                ("procedure_time", "Thời hạn giải quyết đúng quy định",
                 "The processing time is as regulated"),
            ],
        ),
        (
            "officer",
            "Công chức trực tiếp giải quyết",
            "The officer who handled the case",
            [
                ("officer_polite", "Công chức có thái độ lịch sự, tôn trọng khi tiếp nhận và trả kết quả",
                 "The officer was polite and respectful"),
                ("officer_prompt", "Công chức trả lời, giải thích đầy đủ, kịp thời các ý kiến",
                 "The officer answered questions promptly and fully"),
                ("officer_guidance", "Công chức hướng dẫn kê khai hồ sơ dễ hiểu, chỉ một lần là làm được",
                 "The officer's guidance was clear enough after one explanation"),
                ("officer_rules", "Công chức tuân thủ đúng quy định khi giải quyết",
                 "The officer followed the rules"),
                ("officer_dedicated", "Công chức tận tình, chu đáo",
                 "The officer was dedicated and attentive"),
            ],
        ),
        (
            "result",
            "Kết quả giải quyết",
            "Result",
            [
                ("result_on_time", "Nhận kết quả đúng ngày hẹn trả",
                 "The result was returned on the promised date"),
                ("result_accurate", "Kết quả đầy đủ, chính xác",
                 "The result was complete and accurate"),
                ("result_fair", "Kết quả giải quyết công bằng, đúng quy định",
                 "The result was fair and lawful"),
            ],
        ),
        (
            "feedback",
            "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị",
            "Handling of feedback and complaints",
            [
                ("feedback_channel", "Có kênh góp ý, phản ánh, kiến nghị dễ sử dụng",
                 "There is an easy channel to give feedback or complain"),
                ("feedback_handled", "Góp ý, phản ánh, kiến nghị được xử lý đúng quy định",
                 "Feedback and complaints are handled as regulated"),
                ("feedback_reported", "Kết quả xử lý góp ý, phản ánh được thông báo kịp thời",
                 "The outcome of feedback is reported promptly"),
            ],
        ),
    ],
    "expectations": [
        ("expect_information", "Cung cấp thông tin về thủ tục hành chính", "Information on procedures"),
        ("expect_premises", "Cơ sở vật chất nơi giải quyết thủ tục", "Premises and facilities"),
        ("expect_skills", "Năng lực, kỹ năng của công chức", "Officers' skills"),
        ("expect_attitude", "Thái độ phục vụ của công chức", "Officers' attitude"),
        ("expect_online", "Dịch vụ công trực tuyến", "Online public services"),
        ("expect_feedback", "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị",
         "Handling of feedback and complaints"),
    ],
}


def load(apps, schema_editor):
    Questionnaire = apps.get_model("surveys", "Questionnaire")
    Criterion = apps.get_model("surveys", "Criterion")
    Question = apps.get_model("surveys", "Question")

    if not Questionnaire.objects.filter(code="sipas").exists():
        sipas = Questionnaire.objects.create(
            code="sipas",
            version=1,
            name_vi=SIPAS["name_vi"],
            name_en=SIPAS["name_en"],
            description_vi=SIPAS["description_vi"],
            description_en=SIPAS["description_en"],
        )
        order = 0
        for c_order, (code, name_vi, name_en, items) in enumerate(SIPAS["criteria"], start=1):
            criterion = Criterion.objects.create(
                questionnaire=sipas, code=code, name_vi=name_vi, name_en=name_en, order=c_order
            )
            for q_code, text_vi, text_en in items:
                order += 1
                Question.objects.create(
                    questionnaire=sipas,
                    criterion=criterion,
                    code=q_code,
                    text_vi=text_vi,
                    text_en=text_en,
                    kind="scale5",
                    required=True,
                    order=order,
                    counts_toward_satisfaction=True,
                )
        expectations = Criterion.objects.create(
            questionnaire=sipas,
            code="expectations",
            name_vi="Mong đợi cải thiện: lĩnh vực nào cần cải thiện nhiều nhất?",
            name_en="Expectations: which areas most need improving?",
            order=6,
            weight=0,
        )
        for q_code, text_vi, text_en in SIPAS["expectations"]:
            order += 1
            Question.objects.create(
                questionnaire=sipas,
                criterion=expectations,
                code=q_code,
                text_vi=text_vi,
                text_en=text_en,
                kind="single",
                options=EXPECTATION_LEVELS,
                order=order,
            )
        Question.objects.create(
            questionnaire=sipas,
            code="comment",
            text_vi="Ý kiến khác của ông/bà",
            text_en="Any other comments",
            kind="long_text",
            order=order + 1,
        )

    if not Questionnaire.objects.filter(code="counter").exists():
        counter = Questionnaire.objects.create(
            code="counter",
            version=1,
            name_vi="Đánh giá tại Bộ phận Một cửa",
            name_en="Counter rating",
            description_vi="Đánh giá mức độ hài lòng sau khi giải quyết hồ sơ.",
            description_en="Rate your satisfaction after your dossier was handled.",
        )
        overall = Criterion.objects.create(
            questionnaire=counter,
            code="overall",
            name_vi="Mức độ hài lòng",
            name_en="Satisfaction",
            order=1,
        )
        Question.objects.create(
            questionnaire=counter,
            criterion=overall,
            code="rating",
            text_vi="Ông/bà hài lòng thế nào với việc giải quyết thủ tục hành chính?",
            text_en="How satisfied are you with how your procedure was handled?",
            kind="scale3",
            required=True,
            order=1,
            counts_toward_satisfaction=True,
        )
        Question.objects.create(
            questionnaire=counter,
            code="reason",
            text_vi="Nếu chưa hài lòng, vì sao?",
            text_en="If you are not satisfied, why?",
            kind="multiple",
            options=REASONS,
            order=2,
        )
        Question.objects.create(
            questionnaire=counter,
            code="comment",
            text_vi="Góp ý thêm",
            text_en="Other comments",
            kind="long_text",
            order=3,
        )


def unload(apps, schema_editor):
    Questionnaire = apps.get_model("surveys", "Questionnaire")
    Questionnaire.objects.filter(code__in=["sipas", "counter"], frozen=False).delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
