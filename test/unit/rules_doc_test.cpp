// Checks docs/rules.md against the rule catalogue: every rule has exactly one "## <id>" section that
// names its SQLSTATE and category, no "## " section is about an unknown rule, and the sections are in
// SQLSTATE order.  A rule added to the catalogue without documentation fails here.
#include "core/rules.hpp"

#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace safemigrate::core;

namespace {

const char *const kDocPath = SAFEMIGRATE_SOURCE_DIR "/docs/rules.md";

/*
 * "## " headings that are not rules.  Keep this empty if possible: the title is "# " and sub-headings are
 * "### ", so that "## " is reserved for rules.
 */
const std::set<std::string> kNonRuleSections = {};

/* U+00B7 MIDDLE DOT in UTF-8, as in "SQLSTATE: SM001 · category: concurrent". */
const char *const kDot = "\xC2\xB7";

struct Section
{
	std::string heading;			/* text after "## ", trimmed */
	std::size_t line = 0;			/* 1-based line number of the heading */
	std::vector<std::string> lines; /* the lines after the heading, up to the next "# " or "## " heading */
};

struct Doc
{
	bool found = false;
	std::vector<std::string> preamble; /* lines before the first "## " heading */
	std::vector<Section> sections;
};

std::string
trim(const std::string &s)
{
	std::size_t b = s.find_first_not_of(" \t\r");
	if (b == std::string::npos)
		return "";
	std::size_t e = s.find_last_not_of(" \t\r");
	return s.substr(b, e - b + 1);
}

bool
starts_with(const std::string &s, const char *prefix)
{
	return s.compare(0, std::strlen(prefix), prefix) == 0;
}

/* Split the document into sections; headings inside fenced code blocks do not count. */
Doc
read_doc()
{
	Doc doc;
	std::ifstream in(kDocPath);
	if (!in)
		return doc;
	doc.found = true;

	std::string line;
	std::size_t lineno = 0;
	std::string fence; /* "```" or "~~~" while inside a fenced block */
	enum { Preamble, InSection, Elsewhere } where = Preamble;
	while (std::getline(in, line))
	{
		++lineno;
		if (!line.empty() && line.back() == '\r')
			line.pop_back();
		std::string t = trim(line);
		bool heading = false;
		if (!fence.empty())
		{
			if (starts_with(t, fence.c_str()))
				fence.clear();
		}
		else if (starts_with(t, "```") || starts_with(t, "~~~"))
			fence = t.substr(0, 3);
		else if (starts_with(line, "## "))
		{
			heading = true;
			Section s;
			s.heading = trim(line.substr(3));
			s.line = lineno;
			doc.sections.push_back(s);
			where = InSection;
		}
		else if (starts_with(line, "# "))
		{
			heading = true;
			if (where == InSection)
				where = Elsewhere;
		}
		if (heading)
			continue;
		if (where == Preamble)
			doc.preamble.push_back(line);
		else if (where == InSection)
			doc.sections.back().lines.push_back(line);
	}
	return doc;
}

class RulesDoc : public ::testing::Test
{
protected:
	void SetUp() override
	{
		rules_ = rule_catalogue(&nrules_);
		doc_ = read_doc();
		ASSERT_TRUE(doc_.found) << "cannot read " << kDocPath;
		ASSERT_GT(nrules_, 0u);
	}

	const RuleInfo *find(const std::string &id) const
	{
		for (std::size_t i = 0; i < nrules_; ++i)
			if (id == rules_[i].id)
				return &rules_[i];
		return nullptr;
	}

	const RuleInfo *rules_ = nullptr;
	std::size_t nrules_ = 0;
	Doc doc_;
};

TEST_F(RulesDoc, EveryRuleHasExactlyOneSection)
{
	for (std::size_t i = 0; i < nrules_; ++i)
	{
		std::string id = rules_[i].id;
		int n = 0;
		for (const Section &s : doc_.sections)
			n += s.heading == id;
		EXPECT_EQ(n, 1) << "docs/rules.md needs exactly one \"## " << id << "\" section (rule "
						<< rules_[i].sqlstate << "), found " << n;
	}
}

TEST_F(RulesDoc, SectionNamesSqlstateAndCategory)
{
	for (const Section &s : doc_.sections)
	{
		const RuleInfo *r = find(s.heading);
		if (r == nullptr)
			continue; /* reported by NoSectionForUnknownRules */
		std::string expected =
			std::string("SQLSTATE: ") + r->sqlstate + " " + kDot + " category: " + category_name(r->category);
		int exact = 0, other = 0;
		for (const std::string &l : s.lines)
		{
			std::string t = trim(l);
			if (t == expected)
				++exact;
			else if (starts_with(t, "SQLSTATE:"))
				++other;
		}
		EXPECT_EQ(exact, 1) << "section \"## " << s.heading << "\" (line " << s.line
							<< ") needs the line \"" << expected << "\" exactly once";
		EXPECT_EQ(other, 0) << "section \"## " << s.heading << "\" (line " << s.line
							<< ") has another SQLSTATE line than \"" << expected << "\"";
	}
}

TEST_F(RulesDoc, NoSectionForUnknownRules)
{
	for (const Section &s : doc_.sections)
	{
		EXPECT_TRUE(find(s.heading) != nullptr || kNonRuleSections.count(s.heading) > 0)
			<< "docs/rules.md line " << s.line << ": \"## " << s.heading
			<< "\" is not a rule id of the catalogue (use \"# \" or \"### \" for other headings)";
	}
}

TEST_F(RulesDoc, SectionsAreInSqlstateOrder)
{
	const RuleInfo *prev = nullptr;
	for (const Section &s : doc_.sections)
	{
		const RuleInfo *r = find(s.heading);
		if (r == nullptr)
			continue;
		if (prev != nullptr)
		{
			EXPECT_LT(std::strcmp(prev->sqlstate, r->sqlstate), 0)
				<< "docs/rules.md line " << s.line << ": \"## " << r->id << "\" (" << r->sqlstate
				<< ") must come before \"## " << prev->id << "\" (" << prev->sqlstate << ")";
		}
		prev = r;
	}
}

TEST_F(RulesDoc, EverySectionShowsSql)
{
	for (const Section &s : doc_.sections)
	{
		if (find(s.heading) == nullptr)
			continue;
		bool sql = false;
		for (const std::string &l : s.lines)
			sql |= trim(l) == "```sql";
		EXPECT_TRUE(sql) << "section \"## " << s.heading << "\" has no ```sql example";
	}
}

/* The intro lists the rules that a declared expand-contract statement lets through. */
TEST_F(RulesDoc, IntroNamesTheBreakingRules)
{
	std::ostringstream intro;
	for (const std::string &l : doc_.preamble)
		intro << l << '\n';
	std::string text = intro.str();
	for (std::size_t i = 0; i < nrules_; ++i)
	{
		if (!rules_[i].breaking)
			continue;
		std::string id = std::string("`") + rules_[i].id + "`";
		EXPECT_NE(text.find(id), std::string::npos)
			<< "the introduction of docs/rules.md should name the breaking rule " << id;
	}
}

} // namespace
